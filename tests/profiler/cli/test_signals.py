"""SIGTERM and SIGHUP (``timeout``, CI runners, systemd, a closed terminal) stop a run or a sweep
like Ctrl-C: the summary, the JSON and every measured step are kept; exit 128 + the signal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from profiler.history import HistoryStore
from tests.helpers import WAIT_S, stop_process, wait_until

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

TINY = ["--workload", "mlp", "--knob", "width=64", "--knob", "depth=1", "--batch-size", "32", "--threads", "1"]


def start(args: list[str], tmp_path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "HORSEPOWER_DATA_DIR": str(tmp_path / "data")}
    return subprocess.Popen([sys.executable, "-m", "profiler.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)


def wait_for(proc: subprocess.Popen[str], marker: str, timeout_s: float = 120) -> None:
    deadline = time.time() + timeout_s
    assert proc.stderr is not None
    while time.time() < deadline:
        line = proc.stderr.readline()
        if marker in line:
            return
        if not line and proc.poll() is not None:
            break
    proc.kill()
    pytest.fail(f"never saw {marker!r}")


def worker_running(proc: subprocess.Popen[str]) -> bool:
    """A spawned worker process of the CLI ``proc`` is alive."""
    import psutil

    try:
        children = psutil.Process(proc.pid).children()
        return any("spawn_main" in " ".join(c.cmdline()) for c in children)
    except psutil.Error:
        return False


def stored_timed_steps(tmp_path: Path, run_id: str) -> tuple[str, int, Any]:
    with HistoryStore(tmp_path / "data") as store:
        run = store.get(run_id)
    assert run is not None
    stages = run["series"]["steps"]["stage"]
    return run["status"], sum(1 for s in stages if s == "timed"), run["history"]["incomplete"]


#: a process started with SIGHUP ignored (``nohup``, some CI runners) passes that on to its
#: children, and an ignored signal stays ignored: nothing to test then
HUP_IGNORED = signal.getsignal(signal.SIGHUP) == signal.SIG_IGN if hasattr(signal, "SIGHUP") else True


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code", "group"), [
    (signal.SIGTERM, 143, False),
    pytest.param(signal.SIGHUP, 129, False, marks=pytest.mark.skipif(HUP_IGNORED, reason="SIGHUP is ignored here")),
    (signal.SIGTERM, 143, True),
])
def test_stop_signal_keeps_summary_json_and_every_step(tmp_path: Path, signum: int, code: int,
                                                        group: bool) -> None:
    out = tmp_path / "r.json"
    proc = start(["run", *TINY, "--duration", "60", "--json", str(out)], tmp_path)
    try:
        wait_for(proc, "/60 s")  # a progress line of the timed window: timed steps were measured
        if group:
            os.killpg(proc.pid, signum)  # like `timeout` and systemd: the worker gets it too
        else:
            proc.send_signal(signum)  # the CLI alone (its worker learns it from the CLI)
        stdout, stderr = proc.communicate(timeout=WAIT_S)
    finally:
        stop_process(proc, group=True)
    assert proc.returncode == code, stderr
    data = json.loads(out.read_text())
    assert data["status"] == "stopped" and data["timed_steps"] > 0
    assert "stopped" in stdout and "Traceback" not in stderr
    status, stored, incomplete = stored_timed_steps(tmp_path, data["run_id"])
    assert status == "stopped" and stored == data["timed_steps"] and incomplete is None


@pytest.mark.slow
def test_sigterm_stops_a_sweep_and_keeps_finished_points(tmp_path: Path) -> None:
    proc = start(["sweep", "--knob", "width", "--values", "32,64,128", "--device", "cpu",
                  "--duration", "4", "--json"], tmp_path)
    try:
        wait_for(proc, "cpu value 32:")  # the first point is done
        wait_until(lambda: worker_running(proc), what="the second point's worker")  # the first one's was reaped
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=WAIT_S)
    finally:
        stop_process(proc, group=True)
    assert proc.returncode == 143, stderr
    points = json.loads(stdout)["points"]
    assert [p["value"] for p in points] == [32, 64]
    assert points[0]["status"] == "completed" and points[1]["status"] == "stopped"
    assert "sweep stopped after 2 of 3 points" in stderr
    with HistoryStore(tmp_path / "data") as store:
        assert sorted(s.status for s in store.list_runs()) == ["completed", "stopped"]
