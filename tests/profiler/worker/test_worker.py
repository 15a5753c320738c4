"""Process isolation: the supervised worker relays events and survives every way of dying."""

from __future__ import annotations

import threading

import pytest

from profiler.events import RunFinished, StepFinished
from profiler.results.result import RunResult, RunState
from profiler.results.spec import RunSpec
from profiler.runner import SpecError
from profiler.worker.supervisor import describe_exit, supervise
from tests.helpers import WAIT_S, collect, no_worker_left


def tiny(**changes: object) -> RunSpec:
    spec = RunSpec(workload="mlp", knobs={"width": 64, "depth": 1}, batch_size=32, duration_s=0.5, threads=1,
                   warmup_max_steps=20, warmup_max_s=2.0)
    return spec.replace(**changes)


def test_worker_run_completes_and_relays_events() -> None:
    bus, events = collect()
    result = supervise(tiny(), bus, threading.Event())
    assert result.status == RunState.COMPLETED
    assert result.samples_per_s and result.samples_per_s > 0
    timed = [e for e in events if isinstance(e, StepFinished) and e.stage == "timed"]
    assert len(timed) == len(result.step_times_s)
    finished = [e for e in events if isinstance(e, RunFinished)]
    assert len(finished) == 1 and finished[0].result.status == "completed"
    assert no_worker_left()


def test_stop_ends_a_worker_run_and_keeps_every_step() -> None:
    """Stop ends the run after its current step, or the supervisor kills the worker after
    ``STOP_GRACE_S`` (1 s): either way a stopped result with every step sent. No wall-clock
    limit here: a busy machine makes the worker slow, not wrong."""
    bus, events = collect()
    cancel = threading.Event()
    measuring = threading.Event()
    finished = threading.Event()
    bus.subscribe(lambda e: measuring.set() if isinstance(e, StepFinished) and e.stage == "timed" else None)
    bus.subscribe(lambda e: finished.set() if isinstance(e, RunFinished) else None)
    box: dict[str, object] = {}
    thread = threading.Thread(target=lambda: box.update(result=supervise(tiny(duration_s=60), bus, cancel)))
    thread.start()
    try:
        assert measuring.wait(WAIT_S)
    finally:
        cancel.set()
        assert finished.wait(WAIT_S), "no result after Stop"
        thread.join(WAIT_S)
    assert not thread.is_alive()
    result = box["result"]
    assert isinstance(result, RunResult) and result.status == RunState.STOPPED
    timed = [e for e in events if isinstance(e, StepFinished) and e.stage == "timed"]
    assert len(result.step_times_s) == len(timed) > 0
    assert no_worker_left()


@pytest.mark.parametrize(("fault", "expect"), [("worker-abort", "SIGABRT"), ("worker-exception", "injected fault")])
def test_a_dying_worker_yields_a_failed_result_that_keeps_its_steps(
    monkeypatch: pytest.MonkeyPatch, fault: str, expect: str
) -> None:
    monkeypatch.setenv("HORSEPOWER_FAULT", fault)
    bus, events = collect()
    result = supervise(tiny(), bus, threading.Event())
    assert result.status == RunState.FAILED
    assert expect in (result.error or "")
    assert result.warmup_steps >= 2, "steps published before the crash are kept"
    assert result.params > 0 and result.flops_per_step, "what the run described is kept"
    if fault == "worker-exception":  # the worker's own result keeps the timed steps before the fault
        assert len(result.step_times_s) == 2
    assert next(e for e in events if isinstance(e, RunFinished)).result.status == "failed"
    assert no_worker_left()


def test_bad_spec_is_rejected_before_a_worker_starts() -> None:
    bus, events = collect()
    with pytest.raises(SpecError):
        supervise(tiny(batch_size=0), bus, threading.Event())
    assert events == []


def test_describe_exit() -> None:
    assert describe_exit(-6) == "SIGABRT"
    assert describe_exit(-9) == "SIGKILL"
    assert describe_exit(3) == "exit code 3"


def test_a_kernel_oom_kill_is_named_with_the_workers_rss(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGKILL while the kernel's OOM-kill counter went up: named as such, not "a native crash"."""
    from profiler.worker import supervisor as sup

    readings = iter([(0, 7), (1, 7)])  # (cgroup, system): the cgroup's counter went up
    monkeypatch.setattr(sup, "oom_kill_counts", lambda: next(readings))
    monkeypatch.setenv("HORSEPOWER_FAULT", "worker-sigkill")
    result = supervise(tiny(), *collect()[:1], threading.Event())
    assert result.status == RunState.FAILED
    assert "killed by the kernel's out-of-memory killer (SIGKILL)" in (result.error or "")
    assert " resident" in (result.error or "")  # its last RSS reading
    assert "natively" not in (result.advice or "") and "smaller batch" in (result.advice or "")
    assert no_worker_left()


def test_oom_killed_needs_sigkill_and_a_counter_that_went_up() -> None:
    from profiler.worker.oom import oom_killed

    assert oom_killed(-9, (0, 5), (1, 5)) and oom_killed(-9, (None, 5), (None, 6))
    assert not oom_killed(-9, (0, 5), (0, 5))  # SIGKILL from someone else
    assert not oom_killed(-6, (0, 5), (1, 6)) and not oom_killed(None, (0,), (1,))
