"""Import the engine's heavy packages one thread at a time.

The device catalogue loads on its own thread, a scripted or early run imports the worker on
a profiling thread, and the machine monitor on its own: Python's per-module import locks do
not stop two threads from each importing one half of ``profiler.runner`` (the loop imports
the validator another thread is importing),
which ends in "partially initialized module" errors. Every background import of the engine
goes through ``engine_imports()`` instead.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.RLock()


@contextmanager
def engine_imports() -> Iterator[None]:
    """Hold the one engine-import lock for the block (re-entrant)."""
    with _LOCK:
        yield


def import_worker() -> None:
    """Import the worker and runner packages (torch with them) under the lock."""
    with _LOCK:
        import profiler.runner.loop
        import profiler.worker.supervisor  # noqa: F401
