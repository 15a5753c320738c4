"""Run the engine in a supervised child process and relay its events.

``supervise`` blocks the calling thread (the GUI's profiling thread, or a CLI) while a
``spawn``ed worker trains. It re-publishes the worker's events on ``bus`` from the
calling thread and always returns a ``RunResult``: the worker's own, or, when the worker
dies (a Python exception escaping, SIGABRT, SIGKILL by the OOM killer) or must be killed
after a stop request, one rebuilt from every event received so far.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import tempfile
import threading
import time
from typing import Any

from profiler.child_process import describe_exit
from profiler.devices.discovery import DeviceInfo
from profiler.events import EventBus, RunFinished, RunStateChanged
from profiler.lifeline import isolate_spawn, spawn_entry, temp_prefix
from profiler.results.result import RunResult, RunState, new_run_id
from profiler.results.spec import RunSpec, TraceRequest
from profiler.runner.deadline import passed_deadline, read_dump
from profiler.runner.validate import SpecError, validate_spec
from profiler.worker.oom import oom_kill_counts, oom_killed, oom_sentence
from profiler.worker.partial import PartialRun

log = logging.getLogger(__name__)

STOP_GRACE_S = 1.0  # after a stop request, how long the worker may take to finish its step
JOIN_TIMEOUT_S = 2.0
POLL_S = 0.05


def supervise(
    spec: RunSpec,
    bus: EventBus,
    cancel: threading.Event,
    run_id: str | None = None,
    stop_grace_s: float = STOP_GRACE_S,
    device_info: DeviceInfo | None = None,
    trace: TraceRequest | None = None,
) -> RunResult:
    """Run ``spec`` in a worker process; return its result. Raises SpecError up front.

    The spec is validated once, here (or by the caller, who passes ``device_info``); the
    worker trusts it. The supervisor is the only publisher of the run's ``RunFinished``.
    ``trace`` is passed to the worker's ``run_training``.
    """
    info = device_info or validate_spec(spec)
    run_id = run_id or new_run_id()
    supervision = _Supervision(spec, bus, cancel, run_id, stop_grace_s, info)
    supervision.trace = trace
    return supervision.run()


class _Supervision:
    def __init__(self, spec: RunSpec, bus: EventBus, cancel: threading.Event, run_id: str, grace_s: float,
                 device_info: DeviceInfo) -> None:
        self.spec, self.bus, self.cancel, self.run_id, self.grace_s = spec, bus, cancel, run_id, grace_s
        self.device_info = device_info
        self.partial = PartialRun(spec, run_id)
        self.final: RunResult | None = None  # the worker's own result (pickled across the pipe)
        self.crash: str | None = None
        self.spec_error: str | None = None
        self.trace: TraceRequest | None = None
        self.dump_path = ""
        self.oom_before: tuple[int | None, ...] = ()

    def run(self) -> RunResult:
        isolate_spawn()
        ctx = mp.get_context("spawn")
        recv, send = ctx.Pipe(duplex=False)
        child_cancel = ctx.Event()
        fd, self.dump_path = tempfile.mkstemp(prefix=temp_prefix(f"worker-{self.run_id}"), suffix=".txt")
        os.close(fd)
        try:
            return self._run(ctx, recv, send, child_cancel)
        finally:
            try:
                os.unlink(self.dump_path)
            except OSError:
                pass

    def _run(self, ctx: Any, recv: Any, send: Any, child_cancel: Any) -> RunResult:
        proc = ctx.Process(
            target=spawn_entry,  # dies with this process, then runs ``child_main``
            args=("profiler.worker.child:child_main", self.spec.to_dict(), self.run_id,
                  self.device_info.to_dict(), send, child_cancel, logging.getLogger().getEffectiveLevel(),
                  self.trace.to_dict() if self.trace else None, self.dump_path),
            name=f"horsepower-worker-{self.run_id}",
            daemon=False,  # a daemonic process may not start DataLoader workers; we reap it ourselves
        )
        self.bus.publish(RunStateChanged(self.run_id, RunState.PENDING, "starting worker process"))
        self.oom_before = oom_kill_counts()
        proc.start()
        send.close()  # the child holds the only writer: EOF tells us it is gone
        try:
            killed_on_stop = self._pump(proc, recv, child_cancel)
            if self.final is not None:  # report first; the worker's interpreter teardown can take a while
                result = self.final
                self.bus.publish(RunFinished(self.run_id, result))
        finally:
            recv.close()
            _reap(proc)
        if self.spec_error:
            raise SpecError(self.spec_error)
        if self.final is None:
            result = self._result(proc.exitcode, killed_on_stop)
            self.bus.publish(RunFinished(self.run_id, result))
        return result

    def _pump(self, proc: Any, recv: Any, child_cancel: Any) -> bool:
        """Relay messages until the worker is done. Returns True if it was killed after a stop."""
        stop_asked_at: float | None = None
        while True:
            if self.cancel.is_set() and stop_asked_at is None:
                child_cancel.set()
                stop_asked_at = time.perf_counter()
            if stop_asked_at is not None and self.final is None and time.perf_counter() - stop_asked_at > self._grace():
                self._drain(recv)  # the result may already be in the pipe
                if self.final is not None:
                    return False
                log.warning("worker %s did not stop within %.1f s; killing it", proc.pid, self._grace())
                proc.kill()
                proc.join(JOIN_TIMEOUT_S)
                self._drain(recv)  # steps it sent before dying are kept
                return self.final is None
            try:
                if not recv.poll(POLL_S):
                    if not proc.is_alive() and not recv.poll(0):
                        return False
                    continue
                kind, payload = recv.recv()
            except (EOFError, OSError):
                return False
            self._handle(kind, payload)

    def _grace(self) -> float:
        """How long a stop may take before the worker is killed. Fixed, so Stop and closing the
        window stay prompt even when one step takes longer; every step already sent is kept."""
        return self.grace_s

    def _drain(self, recv: Any) -> None:
        try:
            while recv.poll(0):
                self._handle(*recv.recv())
        except (EOFError, OSError):
            pass

    def _handle(self, kind: str, payload: Any) -> None:
        if kind == "events":
            for event in payload:
                if isinstance(event, RunFinished):
                    self.final = event.result
                    continue  # published once, by us, after the worker is reaped
                self.partial.observe(event)
                self.bus.publish(event)
        elif kind == "crash":
            self.crash = str(payload)
        elif kind == "spec_error":
            self.spec_error = str(payload)

    def _result(self, exitcode: int | None, killed_on_stop: bool) -> RunResult:
        """The result of a worker that sent none: stopped by force, or dead."""
        if killed_on_stop:
            result = self.partial.to_result(RunState.STOPPED, None)
            result.notices.append(f"the worker was stopped mid-step after {self._grace():.1f} s; "
                                  "every completed step is kept")
            return result
        dump = read_dump(self.dump_path)
        if passed_deadline(dump):
            result = self.partial.to_result(RunState.FAILED, (
                f"{self.spec.model_label} was not built within {self.spec.build_timeout_s:g} s: its factory (or "
                "its FLOP count on meta) did not return, so the worker was stopped"),
                "a constructor that hangs? The stack where it was stopped is in the result's error_details")
            result.error_details = dump
            return result
        if oom_killed(exitcode, self.oom_before, oom_kill_counts()):
            result = self.partial.to_result(
                RunState.FAILED, f"worker process {oom_sentence(self.partial.last_rss_bytes)}",
                f"{self.spec.model_label} needed more memory than this machine could give; try a smaller batch "
                "or size, or close other programs; the window is unaffected")
            result.error_details = dump or None
            return result
        how = describe_exit(exitcode)
        reason = f"worker process died ({how})"
        if self.crash:
            reason += f": {self.crash}"
        native = exitcode is not None and exitcode < 0
        if native and self.spec.is_user_model:
            advice = (f"the training process crashed natively while running {self.spec.model_label}; the window "
                      "is unaffected. Its Python stack at the crash is in the result's error_details")
        elif native:
            advice = ("the training process crashed natively (a bug or a driver fault in torch); the window is "
                      "unaffected. Try another precision or size, and see the log")
        else:
            advice = "see the log for the traceback"
        result = self.partial.to_result(RunState.FAILED, reason, advice)
        result.error_details = dump or None
        return result


def _reap(proc: Any) -> None:
    proc.join(JOIN_TIMEOUT_S)
    if proc.is_alive():
        log.warning("worker %s still alive after %.1f s; terminating", proc.pid, JOIN_TIMEOUT_S)
        proc.terminate()
        proc.join(1.0)
    if proc.is_alive():
        proc.kill()
        proc.join(1.0)
