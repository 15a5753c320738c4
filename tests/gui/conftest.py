"""GUI tests run offscreen and fail when they leave a thread or worker process behind."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading
import time

import pytest

from gui.runs.profiling_thread import live_threads
from tests.fakes.engine import worker_children

LEFTOVER_GRACE_S = 3.0


def _leftovers(before: set[threading.Thread]) -> list[str]:
    threads = [
        t.name for t in threading.enumerate()
        if t not in before and t.is_alive() and not isinstance(t, threading._DummyThread)
    ]
    qthreads = [f"ProfilingThread{t.jobs[:1]}" for t in live_threads()]
    procs = [f"pid {p.pid}" for p in worker_children()]
    return threads + qthreads + procs


@pytest.fixture(autouse=True)
def gc_on_the_gui_thread(qapp):
    """As in the app: cyclic garbage (which may hold Qt objects) is collected on the GUI
    thread only, never by a background thread that happens to allocate."""
    from gui.app.gui_thread_gc import GuiThreadCollector

    collector = GuiThreadCollector()
    collector.start()
    yield
    collector.stop()


@pytest.fixture(autouse=True)
def no_leftover_threads():
    """Fail a test that leaves a Python thread, a QThread or a worker process running."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + LEFTOVER_GRACE_S
    left = _leftovers(before)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = _leftovers(before)
    if left:
        pytest.fail(f"test left running: {', '.join(left)}")


@pytest.fixture(autouse=True)
def answer_close_questions(monkeypatch):
    """A modal "stop the run and quit?" would block a test: answer "stop and quit" unless a
    test answers otherwise (``window.confirm_close``)."""
    from gui.window import closing

    asked: list[str] = []

    def answer(parent, text):
        asked.append(text)
        return True

    monkeypatch.setattr(closing, "ask_to_quit", answer)
    return asked


@pytest.fixture(autouse=True)
def no_wait_for_quiet(monkeypatch):
    """The shared test machine is often busy: a window's Start must not wait for quiet here
    (tests/gui/window/test_quiet_gate.py turns the wait on with fake readings)."""
    from gui.window import quiet_gate

    monkeypatch.setenv(quiet_gate.WAIT_ENV, "0")
