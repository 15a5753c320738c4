"""The worker process: runs one training run and streams its events to the parent.

Runs in a ``spawn``ed child so that the window cannot take the GIL from training and a
native crash in torch cannot take the window down. Events go up a pipe in small batches
(at most every ``FLUSH_S``), so a fast workload does not pay a pipe write per step.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

FLUSH_S = 0.05
#: events that are sent at once rather than batched
URGENT = ("RunStateChanged", "RunNotice", "RunFinished")


class PipeForwarder:
    """Bus handler that batches events into ``conn`` (thread-safe: sampler and trainer publish)."""

    def __init__(self, conn: Connection, on_broken: Any = None) -> None:
        self.conn = conn
        self.on_broken = on_broken  # called once when the parent is gone
        self._lock = threading.Lock()
        self._batch: list[Any] = []
        self._last_send = time.perf_counter()
        self.broken = False

    def __call__(self, event: Any) -> None:
        with self._lock:
            self._batch.append(event)
            now = time.perf_counter()
            if type(event).__name__ in URGENT or now - self._last_send >= FLUSH_S:
                self._send_locked(now)

    def flush(self) -> None:
        with self._lock:
            self._send_locked(time.perf_counter())

    def _send_locked(self, now: float) -> None:
        if not self._batch or self.broken:
            self._batch.clear()
            return
        batch, self._batch = self._batch, []
        self._last_send = now
        try:
            self.conn.send(("events", batch))
        except (BrokenPipeError, EOFError, OSError):
            self.broken = True  # the parent is gone: nobody will see this run, so stop it
            if self.on_broken is not None:
                self.on_broken()


def _stop_on_signals(cancel_flag: threading.Event) -> None:
    """SIGINT/SIGTERM/SIGHUP (Ctrl-C reaches the whole process group; ``timeout`` and systemd
    signal every process) stop the run after its current
    step, so every measured step still reaches the parent; a second signal exits at once."""
    import signal

    received: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        received.append(signum)
        if len(received) > 1:
            os._exit(128 + signum)
        cancel_flag.set()

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, handler)


def child_main(spec_dict: dict[str, Any], run_id: str, device_info: dict[str, Any], conn: Connection,
               cancel: Any, log_level: int, trace: dict[str, Any] | None = None, dump_path: str = "") -> None:
    """Entry point of the worker process (must be importable at module level for spawn).

    The parent validated the spec; ``device_info`` is its answer, so it is not validated twice.
    ``trace`` is a ``TraceRequest.to_dict()`` or None. ``dump_path`` receives the Python stacks
    of a native crash or of a model build that passed its deadline (``profiler.runner.deadline``),
    for the parent to report."""
    logging.basicConfig(level=log_level, format="%(asctime)s worker %(levelname)s %(name)s: %(message)s")
    if dump_path:
        from profiler.runner.deadline import offer_to_oom_killer, open_dump

        open_dump(dump_path)
        offer_to_oom_killer()  # a model that leaks memory takes this process down, not the window
    cancel_flag = threading.Event()

    def watch_cancel() -> None:  # mirror the cross-process event into a cheap in-process one
        while not cancel_flag.is_set():
            if cancel.wait(0.1):
                cancel_flag.set()

    watcher = threading.Thread(target=watch_cancel, name="cancel-watch", daemon=True)
    watcher.start()
    _stop_on_signals(cancel_flag)  # the parent's death is a SIGKILL (``lifeline.spawn_entry``)
    forward = PipeForwarder(conn, on_broken=cancel_flag.set)
    try:
        from profiler.devices.discovery import DeviceInfo
        from profiler.events import EventBus
        from profiler.results.spec import RunSpec, TraceRequest
        from profiler.runner import SpecError, run_training

        bus = EventBus()
        bus.subscribe(forward)
        try:
            run_training(RunSpec.from_dict(spec_dict), bus=bus, cancel=cancel_flag, run_id=run_id,
                         device_info=DeviceInfo(**device_info),
                         trace=TraceRequest(**trace) if trace else None)
        except SpecError as exc:
            forward.flush()
            conn.send(("spec_error", str(exc)))
        forward.flush()
    except BaseException as exc:  # report anything; the parent decides what it means
        forward.flush()
        try:
            conn.send(("crash", f"{type(exc).__name__}: {exc}"))
        except OSError:
            pass
        raise
    finally:
        cancel_flag.set()
        watcher.join(1.0)
        conn.close()
    # Everything is sent. Skip interpreter teardown: a full GC over torch's object graph at exit
    # took over 2 s on a busy 2-core machine, which would delay the window's "stopped" state.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
