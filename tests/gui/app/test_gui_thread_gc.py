"""Cyclic garbage (which may hold Qt objects) is collected on the GUI thread, never by a
background thread that happens to allocate (a deadlock in Shiboken otherwise)."""

from __future__ import annotations

import gc
import threading
from typing import ClassVar

from gui.app.gui_thread_gc import GuiThreadCollector


class Cycle:
    freed_in: ClassVar[list[str]] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        Cycle.freed_in.append(threading.current_thread().name)


def test_garbage_made_on_a_worker_thread_is_collected_on_the_gui_thread(qapp) -> None:
    Cycle.freed_in.clear()
    collector = GuiThreadCollector()
    collector.start()
    try:
        assert not gc.isenabled()

        kept: list[list[int]] = []

        def worker() -> None:
            Cycle()  # unreachable at once, but only a cyclic collection frees it
            kept.extend([i] for i in range(50_000))  # far past the generation-0 threshold

        thread = threading.Thread(target=worker, name="background-worker")
        thread.start()
        thread.join()
        assert Cycle.freed_in == []  # the worker's allocations did not collect
        assert collector.check() > 0
        assert Cycle.freed_in == [threading.current_thread().name]
    finally:
        collector.stop()


def test_stop_hands_collection_back_to_python(qapp) -> None:
    was = gc.isenabled()
    gc.enable()
    collector = GuiThreadCollector()
    collector.start()
    collector.stop()
    assert gc.isenabled()
    if not was:
        gc.disable()
