"""History survives a process killed mid-run: readable, run interrupted, steps kept."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from profiler.history import HistoryStore
from tests.helpers import stop_process

CHILD = textwrap.dedent(
    """
    import os, sys, time
    from profiler.events import RunStateChanged, StepFinished, TelemetrySample
    from profiler.history import HistoryStore, RunRecorder
    from profiler.results.spec import RunSpec

    store = HistoryStore(sys.argv[1])
    rec = RunRecorder(store, "crashy", RunSpec(workload="mlp"), flush_interval_s=0.2)
    rec(RunStateChanged("crashy", "measuring"))
    committed = 0
    step = 0
    while True:
        rec(StepFinished("crashy", step, "timed", step * 0.01, 0.01, 8, 1.0))
        rec(TelemetrySample("crashy", "host", step * 0.01, {"cpu_util_percent": 99.0}))
        step += 1
        if rec.steps_committed != committed:
            committed = rec.steps_committed
            print(committed, flush=True)
            if sys.argv[2] == "exit" and committed >= 20:
                os._exit(3)
        time.sleep(0.005)
    """
)


@pytest.mark.parametrize("how", ["sigkill", "exit"])
def test_history_survives_killed_process(tmp_path, how):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path), how],
                            stdout=subprocess.PIPE, text=True)
    flushed_steps = 0
    try:
        for line in proc.stdout:
            flushed_steps = int(line)
            if flushed_steps >= 20:
                break
        if how == "sigkill":
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        stop_process(proc)  # killed and reaped whatever failed
    assert flushed_steps >= 20
    store = HistoryStore(tmp_path)
    assert store.notices == []
    [summary] = store.list_runs()
    assert summary.status == "interrupted"
    run = store.get("crashy")
    steps = run["series"]["steps"]
    assert len(steps["step"]) >= flushed_steps
    assert steps["step"][:flushed_steps] == list(range(flushed_steps))
    assert run["status"] == "interrupted" and run["timed_steps"] >= flushed_steps
    assert run["samples_per_s"] == pytest.approx(800.0)
