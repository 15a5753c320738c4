"""No child outlives a parent killed by SIGKILL, at any moment: the model check, the training
worker stuck in a step that never returns, and every process of ``scale`` and ``node``
(the elastic agent and its ranks). Each process started is marked with a token in its
environment, so a survivor is found wherever it was re-parented."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from profiler.distributed.ports import free_port
from profiler.lifeline import remove_orphaned_temp
from tests.paths import TEST_MODELS

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")

MODELS = TEST_MODELS
MARK = "HORSEPOWER_TEST_MARK"
TINY_DIST = ["--device", "cpu", "--workload", "mlp", "--knob", "width=64", "--knob", "depth=1",
             "--batch-size", "8", "--steps", "1000000", "--no-peak", "--reference-steps", "1"]
GONE_WITHIN_S = 5.0


def marked(token: str) -> list[psutil.Process]:
    """Every live process whose environment carries ``token`` (zombies do not count)."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(MARK) == token and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def cmdlines(procs: list[psutil.Process]) -> list[str]:
    out = []
    for proc in procs:
        try:
            out.append(" ".join(proc.cmdline()))
        except psutil.Error:
            continue
    return out


@contextmanager
def cli(args: list[str], tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    token = uuid.uuid4().hex
    env = {**os.environ, MARK: token, "HORSEPOWER_DATA_DIR": str(tmp_path / "data"),
           "HORSEPOWER_CONFIG_DIR": str(tmp_path / "config"), "HORSEPOWER_CACHE_DIR": str(tmp_path / "cache"),
           "HORSEPOWER_CEILING": "off", "HORSEPOWER_TEST_HANG_FILE": str(tmp_path / "hanging"),
           "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    with open(tmp_path / "stderr.txt", "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "profiler.cli", *args], stdout=subprocess.DEVNULL,
                                stderr=err, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    try:
        yield proc, token
    finally:
        for left in [proc_ for proc_ in marked(token)]:
            try:
                left.kill()
            except psutil.Error:
                pass
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"never saw {what}")


def running(token: str, needle: str, count: int = 1) -> Callable[[], bool]:
    return lambda: sum(needle in line for line in cmdlines(marked(token))) >= count


def scale_args() -> list[str]:
    return ["scale", "--nproc", "2", "--no-history", *TINY_DIST]


def node_args(tmp_path: Path) -> list[str]:
    return ["node", "--nnodes", "1", "--nproc-per-node", "2", "--rdzv-endpoint", f"127.0.0.1:{free_port()}",
            "--out", str(tmp_path / "out.json"), *TINY_DIST]


MOMENTS = {
    # name: (argv, condition that says the moment is reached)
    "model check (factory hangs)": (
        lambda tmp: ["run", "--model", f"{MODELS / 'hangs.py'}:hangs_when_built", "--no-history"],
        lambda tmp, token: lambda: (tmp / "hanging").exists()),
    "training worker (step hangs)": (
        lambda tmp: ["run", "--model", f"{MODELS / 'hangs.py'}:build", "--steps", "50", "--no-history"],
        lambda tmp, token: lambda: (tmp / "hanging").exists()),
    "scale (agent, before ranks)": (
        lambda tmp: scale_args(),
        lambda tmp, token: running(token, "profiler.distributed.agent", 1)),
    "scale (ranks training)": (
        lambda tmp: scale_args(),
        lambda tmp, token: running(token, "profiler.distributed.rank_entry", 2)),
    "node (ranks training)": (
        node_args,
        lambda tmp, token: running(token, "profiler.distributed.rank_entry", 2)),
}


@pytest.mark.slow
@pytest.mark.parametrize("moment", list(MOMENTS))
def test_sigkilled_parent_leaves_no_survivor(tmp_path: Path, moment: str) -> None:
    argv, reached = MOMENTS[moment]
    with cli(argv(tmp_path), tmp_path) as (proc, token):
        wait_until(reached(tmp_path, token), moment)
        children = [p for p in marked(token) if p.pid != proc.pid]
        assert children, "that moment started no child process"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + GONE_WITHIN_S
        while marked(token) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = cmdlines(marked(token))
        assert not left, f"survived their parent's SIGKILL by {GONE_WITHIN_S:g} s: {left}"
    # what the killed parent left in TMPDIR (its launch dir with torch's torchelastic_* logs, a
    # check's dump file) goes the next time any Horsepower process makes a temporary file
    remove_orphaned_temp(str(tmp_path / "tmp"))
    left_files = [p.name for p in (tmp_path / "tmp").iterdir() if not p.name.startswith("torchinductor_")]
    assert left_files == []  # (torch's compile cache is shared between runs by design)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)])
def test_stop_signal_during_a_hung_model_check_stops_the_check(tmp_path: Path, signum: int, code: int) -> None:
    args = ["run", "--model", f"{MODELS / 'hangs.py'}:hangs_when_built", "--no-history"]
    with cli(args, tmp_path) as (proc, token):
        wait_until(lambda: (tmp_path / "hanging").exists(), "the check hanging in the factory")
        os.kill(proc.pid, signum)
        assert proc.wait(15) == code
        deadline = time.monotonic() + GONE_WITHIN_S
        while marked(token) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not cmdlines(marked(token))
        err = (tmp_path / "stderr.txt").read_text().strip().splitlines()
        assert len(err) == 1 and "stopped" in err[0], err
