"""Real distributed runs on this machine: gloo ranks with one thread each, on loopback ports.

Each launch goes through torch's elastic agent (the code torchrun runs) and takes a few
seconds: torch is imported by the agent and by every rank.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import uuid

import psutil
import pytest

from profiler.distributed.config import DistConfig
from profiler.distributed.launch import LaunchPlan, launch
from profiler.distributed.ports import free_port
from profiler.distributed.sweep import run_scale
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.slow
REPO = REPO_ROOT


def tiny(name: str = "", **changes: object) -> DistConfig:
    """An MLP small enough to train in a second per rank, with a fixed number of warm-up steps."""
    base = DistConfig(workload="mlp", knobs={"width": 64, "depth": 1}, batch_size=64, steps=8,
                      warmup_max_steps=3, warmup_max_s=60.0, reference_steps=3, measure_peak=False,
                      timeout_s=60.0, name=name)
    return base.replace(**changes)


def processes_named(marker: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if marker in " ".join(proc.info["cmdline"] or []) and proc.pid != os.getpid():
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def test_one_and_two_ranks_train_and_agree_on_the_loss():
    points = run_scale(tiny(), [1, 2])
    assert [p.ok for p in points] == [True, True], [(p.outcome.reason, p.outcome.log_tail) for p in points]
    one, two = (p.result for p in points)
    assert one["warmup_steps"] == two["warmup_steps"] == 3
    assert len(one["losses"]) == len(two["losses"]) == 8
    # strong scaling: two ranks on halves of each global batch take the same steps as one rank
    for a, b in zip(one["losses"], two["losses"], strict=True):
        assert math.isclose(a, b, rel_tol=1e-4), (one["losses"], two["losses"])
    assert one["losses"][-1] < one["losses"][0] + 0.5  # it trains (the synthetic task is learnable)
    section = two["distributed"]
    assert section["world_size"] == 2 and section["nodes"] == 1 and section["backend"] == "gloo"
    assert section["batch_per_rank"] == 32 and two["samples_per_step"] == 64 and two["spec"]["world_size"] == 2
    for row in section["ranks"]:
        split = row["split"]
        assert split["input_s"] + split["compute_s"] + split["comm_s"] == pytest.approx(split["step_s"])
        assert split["compute_s"] > 0 and row["threads"] == 1 and row["steps"] == 8
    probe = section["allreduce"]
    assert probe["busbw_bytes_per_s"] == pytest.approx(probe["algbw_bytes_per_s"])  # 2(n-1)/n = 1 for n = 2
    assert one["distributed"]["allreduce"]["busbw_bytes_per_s"] is None
    assert len(section["energy_by_node"]) == 1  # counted once per node, by local rank 0


def test_a_killed_rank_ends_the_run_with_its_rank_and_no_orphans():
    marker = f"kill-{uuid.uuid4().hex[:8]}"
    plan = LaunchPlan(tiny(marker, steps=2000).to_argv(), 2, f"127.0.0.1:{free_port()}", local_addr="127.0.0.1",
                      deadline_s=120, env={"HORSEPOWER_DIST_FAULT": "kill:1:3"})
    outcome = launch(plan)
    assert not outcome.ok and outcome.failed_rank == 1
    assert "rank 1" in outcome.reason and "SIGKILL" in outcome.reason
    assert processes_named(marker) == []


def test_a_rank_that_raises_is_named_with_its_error():
    marker = f"raise-{uuid.uuid4().hex[:8]}"
    points = run_scale(tiny(marker), [2], env={"HORSEPOWER_DIST_FAULT": "raise:0:2"})
    [point] = points
    assert not point.ok and point.result["status"] == "failed"
    assert point.result["error"].startswith("rank 0 failed: InjectedRankFault")
    assert point.result["distributed"]["failed_rank"] == 0
    assert processes_named(marker) == []


def test_a_hung_rank_is_stopped_at_the_deadline_with_no_orphans():
    marker = f"hang-{uuid.uuid4().hex[:8]}"
    plan = LaunchPlan(tiny(marker, timeout_s=300.0).to_argv(), 2, f"127.0.0.1:{free_port()}",
                      local_addr="127.0.0.1", deadline_s=12, env={"HORSEPOWER_DIST_FAULT": "hang:1:2"})
    outcome = launch(plan)  # hung at step 2, or (a slow start) still starting: stopped at 12 s either way
    assert outcome.timed_out and not outcome.ok and "within 12 s" in outcome.reason
    assert processes_named(marker) == []


def test_the_multi_node_worker_under_torchrun_writes_one_importable_result(tmp_path):
    from profiler.history import HistoryStore
    from profiler.reports.export import import_run
    from profiler.reports.validate import read_run_file

    out = tmp_path / "scale.json"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc-per-node", "2",
           "--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{free_port()}", "--local-addr", "127.0.0.1",
           "-m", "profiler.distributed.rank_entry", *tiny().to_argv(), "--out", str(out)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=240,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert [p.name for p in tmp_path.iterdir()] == ["scale.json"]  # one result, nothing half-written
    run, _ = read_run_file(out)
    assert run["distributed"]["world_size"] == 2 and run["distributed"]["nodes"] == 1
    assert {r["rank"] for r in run["distributed"]["ranks"]} == {0, 1}
    store = HistoryStore(tmp_path / "history")
    try:
        run_id = import_run(out, store)
        [summary] = store.list_runs()
        assert summary.run_id == run_id and summary.world_size == 2
        assert store.get(run_id)["distributed"]["world_size"] == 2
    finally:
        store.close()
    json.loads(out.read_text())  # plain JSON, as `horsepower import` reads it


def test_stopping_a_launch_stops_every_rank():
    import threading

    marker = f"stop-{uuid.uuid4().hex[:8]}"
    cancel = threading.Event()
    timer = threading.Timer(8.0, cancel.set)
    timer.start()
    try:
        outcome = launch(LaunchPlan(tiny(marker, steps=None, duration_s=600.0).to_argv(), 2,
                                    f"127.0.0.1:{free_port()}", local_addr="127.0.0.1", deadline_s=120), cancel)
    finally:
        timer.cancel()
    assert outcome.stopped and not outcome.ok and outcome.reason.startswith("stopped")
    assert processes_named(marker) == []
