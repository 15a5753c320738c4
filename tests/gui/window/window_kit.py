"""The window the window tests drive: a shown ``MainWindow`` on the fake engine (unless a test
passes its own ``catalog_fn``/``supervise_fn``/``preferences``), ready, shut down after."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from gui.window.main_window import MainWindow
from tests.fakes.engine import fake_catalog, fake_supervise

#: what "ready" waits for: the sidebar's workloads, or the history store (the tabs need it)
READY: dict[str, Callable[[MainWindow], bool]] = {
    "workloads": lambda win: bool(win.controls.workloads),
    "store": lambda win: win.workspace.store is not None,
}
READY_TIMEOUT_MS = 5000


@contextmanager
def open_window(qtbot: Any, ready: str = "workloads", **kwargs: Any) -> Iterator[MainWindow]:
    """A shown window, ready (``READY[ready]``), shut down when the block ends."""
    kwargs.setdefault("catalog_fn", fake_catalog)
    kwargs.setdefault("supervise_fn", fake_supervise)
    win = MainWindow(**kwargs)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: READY[ready](win), timeout=READY_TIMEOUT_MS)
    yield win
    win.shutdown()
