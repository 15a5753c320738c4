"""Bound how long a model's construction may take in a child process, and keep its stacks.

``faulthandler``'s watchdog is a C thread that needs no GIL: when a ``deadline`` passes it
writes every thread's Python stack to the process's dump file and exits the process (code
1). Nothing else can stop a constructor stuck in C code or holding the GIL. The same file
receives the Python stacks of a native crash (SIGSEGV, SIGABRT, ...), so the parent can show
the user where their model died.

Only a process that called ``open_dump`` (a worker, a model check) is ever exited: elsewhere
``deadline`` does nothing, as exiting would take the caller (a CLI, a test run) with it.
``offer_to_oom_killer`` makes such a child the kernel's first choice when memory runs out, so
a model that leaks takes down its own process, not the window.
"""

from __future__ import annotations

import faulthandler
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

log = logging.getLogger(__name__)

TIMEOUT_MARK = "Timeout ("  # how faulthandler's dump of a passed deadline begins
MAX_DUMP_CHARS = 200_000

_dump: IO[str] | None = None


def open_dump(path: str) -> None:
    """Make ``path`` this process's dump file for crashes and passed deadlines."""
    global _dump
    _dump = open(path, "w+", encoding="utf-8")  # kept open: faulthandler writes to it until exit
    faulthandler.enable(file=_dump, all_threads=True)


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Exit this process, dumping its stacks, if the block runs longer than ``seconds``."""
    if _dump is None or not seconds or seconds <= 0:
        yield
        return
    faulthandler.dump_traceback_later(seconds, exit=True, file=_dump)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


def offer_to_oom_killer() -> None:
    """Linux: make this process the OOM killer's first victim (raising the score needs no
    privilege). Elsewhere, or when /proc is read-only, nothing happens."""
    try:
        with open("/proc/self/oom_score_adj", "w", encoding="ascii") as fh:
            fh.write("1000")
    except OSError:
        log.debug("oom_score_adj not writable here")


def read_dump(path: str) -> str:
    """What a child wrote to its dump file ("" if nothing or unreadable)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(MAX_DUMP_CHARS).strip()
    except OSError:
        return ""


def passed_deadline(dump: str) -> bool:
    """True when ``dump`` is the record of a deadline that passed (not of a crash)."""
    return dump.startswith(TIMEOUT_MARK)
