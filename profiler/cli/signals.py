"""Stop a run or a sweep cleanly on Ctrl-C, SIGTERM and SIGHUP, and exit with 128 + the signal.

SIGTERM is what ``timeout``, CI runners, ``docker stop`` and systemd send; SIGHUP comes when
the terminal closes. Each is handled like the first Ctrl-C: the run stops after its current
step, and what was measured is printed and saved. A second signal aborts.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Stopper:
    """Which stop signal arrived (None: none); ``exit_code`` is the shell's ``128 + signum``."""

    def __init__(self, cancel: threading.Event) -> None:
        self.cancel = cancel
        self.signum: int | None = None

    def exit_code(self, default: int) -> int:
        return 128 + self.signum if self.signum is not None else default

    def handle(self, signum: int, frame: Any) -> None:
        if self.cancel.is_set():  # the second signal: abort now
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            raise SystemExit(128 + signum)
        self.signum = signum
        self.cancel.set()
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        say(f"\n{name}: stopping after the current step (again to abort)...")


class StopSignal(KeyboardInterrupt):
    """A stop signal that arrived while nothing was running yet (``interrupt_on_signals``);
    ``exit_code`` is ``128 + signum``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return "Ctrl-C" if self.signum == signal.SIGINT else signal.Signals(self.signum).name


@contextmanager
def interrupt_on_signals() -> Iterator[None]:
    """For the block (a model check, a preflight: nothing measured yet to keep), SIGINT,
    SIGTERM and SIGHUP raise ``StopSignal``, so ``finally`` blocks stop child processes and
    the command exits ``128 + signum`` with one line. Main thread only; ignored signals stay
    ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise StopSignal(signum)

    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS
                if signal.getsignal(sig) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def say(line: str) -> None:
    """Print to stderr, ignoring a terminal that is gone (after SIGHUP)."""
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


@contextmanager
def stop_on_signals(cancel: threading.Event) -> Iterator[Stopper]:
    """For the block, SIGINT/SIGTERM/SIGHUP set ``cancel`` (main thread only; elsewhere the
    signals keep their handlers and the ``Stopper`` never fires). Signals that are ignored
    when the block starts stay ignored."""
    stopper = Stopper(cancel)
    if threading.current_thread() is not threading.main_thread():
        yield stopper
        return
    # A signal the caller ignores stays ignored (``nohup`` ignores SIGHUP, a background job SIGINT).
    previous = {sig: signal.signal(sig, stopper.handle) for sig in STOP_SIGNALS
                if signal.getsignal(sig) is not signal.SIG_IGN}
    try:
        yield stopper
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
