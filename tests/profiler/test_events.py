"""The event bus: observers are isolated from each other and from the engine."""

from __future__ import annotations

import logging

import pytest

from profiler.events import EventBus, RunNotice


def test_a_failing_handler_neither_stops_others_nor_the_publisher(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    seen: list[object] = []

    def broken(event: object) -> None:
        raise RuntimeError("observer bug")

    bus.subscribe(broken)
    bus.subscribe(seen.append)
    with caplog.at_level(logging.DEBUG, logger="profiler.events"):
        for i in range(3):
            bus.publish(RunNotice("r", "info", f"n{i}"))
    assert len(seen) == 3
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1, "the traceback is logged once, not per event"


def test_unsubscribe_stops_delivery() -> None:
    bus = EventBus()
    seen: list[object] = []
    unsubscribe = bus.subscribe(seen.append)
    bus.publish(RunNotice("r", "info", "a"))
    unsubscribe()
    bus.publish(RunNotice("r", "info", "b"))
    assert [e.message for e in seen] == ["a"]  # type: ignore[attr-defined]
