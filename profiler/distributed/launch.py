"""Start the ranks of one distributed run through torch's elastic agent, and always clean up.

``launch`` runs ``python -P -m profiler.distributed.agent`` (torchrun's code path, see ``agent``)
in a new session, isolated from the working directory (``lifeline``), with ``TMPDIR`` inside
the launch's own temporary directory (so torch's ``torchelastic_*`` logs and timer files go
when it goes), waits at most ``deadline_s``, and returns a ``LaunchOutcome``: the result
rank 0 wrote, or the failed rank and why. The agent already stops every rank when one fails;
on top of that this module remembers every process below the agent while it runs and, when
the agent is gone (finished, failed, stopped or killed at the deadline), kills whatever is
still alive, so no rank outlives the launch. The agent and the ranks also ask the kernel to
kill them if their parent dies (``lifeline.die_with_parent``), so a launcher killed by SIGKILL
leaves nothing behind either.

The rendezvous is torch's c10d one with stores bound to the endpoint's host and this node's
address (``bound_store``): a single-node run listens on loopback only.

Thread: the caller's; ``cancel`` (a threading.Event) stops the run early.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from profiler.lifeline import python_command, temp_prefix

log = logging.getLogger(__name__)

POLL_S = 0.2
STOP_GRACE_S = 10.0  # after SIGTERM the agent stops its ranks; then everything gets SIGKILL
MONITOR_INTERVAL_S = 0.2  # how often the agent checks its ranks


@dataclass(frozen=True)
class LaunchPlan:
    """One launch: ``nproc`` ranks on this node of ``nnodes``, joining ``rdzv_endpoint``."""

    rank_argv: list[str]
    nproc: int
    rdzv_endpoint: str
    nnodes: str = "1"
    rdzv_id: str = "horsepower"
    join_timeout_s: float = 60.0
    local_addr: str | None = None
    deadline_s: float = 600.0
    env: dict[str, str] = field(default_factory=dict)

    def torchrun_argv(self, result_path: str, status_dir: str, log_dir: str | None = None) -> list[str]:
        from profiler.distributed.bound_store import BACKEND

        argv = ["--nnodes", self.nnodes, "--nproc-per-node", str(self.nproc), "--rdzv-backend", BACKEND,
                "--rdzv-endpoint", self.rdzv_endpoint, "--rdzv-id", self.rdzv_id,
                "--rdzv-conf", f"join_timeout={int(self.join_timeout_s)},read_timeout={int(self.join_timeout_s)}",
                "--max-restarts", "0", "--monitor-interval", str(MONITOR_INTERVAL_S)]
        if self.local_addr:
            argv += ["--local-addr", self.local_addr]
        if log_dir:
            argv += ["--log-dir", log_dir]
        return [*argv, "-m", "profiler.distributed.rank_entry", *self.rank_argv,
                "--out", result_path, "--status-dir", status_dir]


@dataclass
class LaunchOutcome:
    """``result`` (rank 0's result dict; None on a node without rank 0) when every rank
    finished; else ``reason`` says which rank failed and why (``failed_rank`` None when no rank
    is to blame)."""

    ok: bool
    result: dict[str, Any] | None = None
    reason: str = ""
    failed_rank: int | None = None
    timed_out: bool = False
    stopped: bool = False
    log_tail: str = ""
    leftover_pids: list[int] = field(default_factory=list)


def _child_env(plan: LaunchPlan, tmp: str) -> dict[str, str]:
    from profiler.lifeline import child_env

    env = child_env({"TMPDIR": tmp})
    env.setdefault("OMP_NUM_THREADS", "1")  # torchrun's default for several ranks per node
    env.update(plan.env)
    return env


class _Tracker:
    """Remembers every process below the agent, so none is left when the agent is gone."""

    def __init__(self, pid: int) -> None:
        self.root = pid
        self.seen: dict[int, psutil.Process] = {}

    def scan(self) -> None:
        try:
            for child in psutil.Process(self.root).children(recursive=True):
                self.seen.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            pass

    def alive(self) -> list[psutil.Process]:
        return [p for p in self.seen.values() if _running(p)]

    def kill_all(self) -> list[int]:
        """SIGKILL every remembered process still alive; returns their pids."""
        left = self.alive()
        for proc in left:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(left, timeout=5.0)
        return [p.pid for p in left]


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _stop(proc: subprocess.Popen[bytes], tracker: _Tracker) -> None:
    """SIGTERM the agent (it stops its ranks), wait, then SIGKILL everything left."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            log.warning("the elastic agent did not stop within %.0f s; killing it", STOP_GRACE_S)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(5.0)


def launch(plan: LaunchPlan, cancel: threading.Event | None = None) -> LaunchOutcome:
    """Run ``plan`` to its end (see the module doc)."""
    cancel = cancel or threading.Event()
    with tempfile.TemporaryDirectory(prefix=temp_prefix("launch")) as tmp:
        result_path = os.path.join(tmp, "result.json")
        status_dir = os.path.join(tmp, "status")
        os.mkdir(status_dir)
        outcome_path = os.path.join(tmp, "outcome.json")
        plan_path = os.path.join(tmp, "plan.json")
        log_dir = os.path.join(tmp, "logs")
        with open(plan_path, "w", encoding="utf-8") as fh:
            json.dump({"torchrun_argv": plan.torchrun_argv(result_path, status_dir, log_dir),
                       "outcome": outcome_path}, fh)
        log_path = os.path.join(tmp, "launch.log")
        with open(log_path, "wb") as log_file:
            proc = subprocess.Popen(python_command("profiler.distributed.agent", plan_path),
                                    env=_child_env(plan, tmp), stdout=log_file, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            tracker = _Tracker(proc.pid)
            timed_out = stopped = False
            deadline = time.monotonic() + plan.deadline_s
            try:
                while proc.poll() is None:
                    tracker.scan()
                    if cancel.is_set() or time.monotonic() > deadline:
                        timed_out, stopped = not cancel.is_set(), cancel.is_set()
                        _stop(proc, tracker)
                        break
                    time.sleep(POLL_S)
            finally:
                if proc.poll() is None:  # an exception (Ctrl-C) escaped the wait: still clean up
                    _stop(proc, tracker)
                leftovers = tracker.kill_all()
        if leftovers:
            log.warning("killed %d process(es) left behind by the launch: %s", len(leftovers), leftovers)
        tail = Path(log_path).read_text(encoding="utf-8", errors="replace")[-4000:]
        return _outcome(plan, result_path, outcome_path, status_dir, tail, timed_out, stopped, leftovers)


def _read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def _outcome(plan: LaunchPlan, result_path: str, outcome_path: str, status_dir: str, tail: str,
             timed_out: bool, stopped: bool, leftovers: list[int]) -> LaunchOutcome:
    from profiler.distributed.failures import explain

    agent = _read_json(outcome_path) or {}
    result = _read_json(result_path)
    statuses = [s for s in (_read_json(str(p)) for p in sorted(Path(status_dir).glob("rank-*.json"))) if s]
    if agent.get("ok") and not timed_out and not stopped:  # result: None on a node without rank 0
        return LaunchOutcome(True, result if isinstance(result, dict) else None, log_tail=tail,
                             leftover_pids=leftovers)
    rank, reason = explain(agent, statuses, timed_out=timed_out, stopped=stopped, deadline_s=plan.deadline_s)
    return LaunchOutcome(False, None, reason, rank, timed_out, stopped, tail, leftovers)
