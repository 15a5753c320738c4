"""The one way to run a spec: the window, its sweeps, the CLI and the self-test all call ``run_one``.

Every run trains in a supervised worker process (``supervise``): the window must (its Python
work would take the GIL from training, and a native crash in torch must not take it down), so
the CLI does too, and both measure the same thing (``bench/window_vs_cli.py`` compares them).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from profiler.events import EventBus, RunFinished
from profiler.results.result import RunResult, RunState, new_run_id
from profiler.results.spec import RunSpec, SpecError, TraceRequest

if TYPE_CHECKING:
    from profiler.devices.discovery import DeviceInfo

log = logging.getLogger(__name__)

#: (spec, bus, cancel, run_id=..., [device_info=..., trace=...]) -> RunResult; tests pass a fake
SuperviseFn = Callable[..., RunResult]
#: (bus, run_id, spec) -> a context that stores the run's events in history while it is open
RecordFn = Callable[[EventBus, str, RunSpec], AbstractContextManager[Any]]


def run_one(
    spec: RunSpec,
    bus: EventBus | None = None,
    cancel: threading.Event | None = None,
    *,
    run_id: str | None = None,
    device_info: DeviceInfo | None = None,
    trace: TraceRequest | None = None,
    record: RecordFn | None = None,
    supervise_fn: SuperviseFn | None = None,
    raise_refused: bool = False,
) -> RunResult:
    """Train ``spec`` once in a supervised worker process; its events go to ``bus``.

    ``device_info`` is ``validate_spec(spec)``'s answer when the caller validated already (else
    the supervisor validates). ``record`` keeps the run in history while it runs. Always returns
    a result and publishes exactly one ``RunFinished``: a spec the engine refuses (``SpecError``)
    or a supervisor that fails ends in a failed result that says why, published like any other,
    so no history row stays "pending". With ``raise_refused`` a spec refused before the run
    published anything raises ``SpecError`` instead, and nothing is published or stored (the
    CLI's rule for bad input).
    """
    bus = bus or EventBus()
    cancel = cancel or threading.Event()
    run_id = run_id or new_run_id()
    if supervise_fn is None:
        from profiler.worker.supervisor import supervise

        supervise_fn = supervise
    extra: dict[str, Any] = {}
    if device_info is not None:
        extra["device_info"] = device_info
    if trace is not None:
        extra["trace"] = trace
    began: list[bool] = []  # has the run published anything (a row in history, a line shown)?
    unsubscribe = bus.subscribe(lambda _event: None if began else began.append(True))
    try:
        with record(bus, run_id, spec) if record is not None else nullcontext():
            try:
                return supervise_fn(spec, bus, cancel, run_id=run_id, **extra)
            except SpecError as exc:  # bad input: the message is the whole story
                if raise_refused and not began:
                    raise
                log.warning("run %s rejected: %s", run_id, exc)
                result = failed_result(spec, run_id, str(exc))
            except Exception as exc:
                log.exception("run %s raised in the supervisor", run_id)
                result = failed_result(spec, run_id, f"{type(exc).__name__}: {exc}")
            bus.publish(RunFinished(run_id, result))
            return result
    finally:
        unsubscribe()


def failed_result(spec: RunSpec, run_id: str, error: str) -> RunResult:
    """A run that never trained: status failed, ``error`` says why."""
    result = RunResult(spec=spec, run_id=run_id, status=RunState.FAILED, error=error)
    result.ended_at = time.time()
    return result
