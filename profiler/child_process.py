"""Small helpers for the engine's short-lived child processes (probes, checks, workers).

Qt-free and torch-free: a measurement that must not touch the caller's process state (allocator,
threads, JIT pages) runs in a child; these turn its outcome into data or one sentence.
"""

from __future__ import annotations

import json
import signal
import subprocess
from typing import Any


def describe_exit(exitcode: int | None, running: str = "still running") -> str:
    """'exit code 3' or 'SIGABRT' for a process exit code; ``running`` when there is none yet."""
    if exitcode is None:
        return running
    if exitcode < 0:
        try:
            return signal.Signals(-exitcode).name
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit code {exitcode}"


def run_json_child(cmd: list[str], what: str, timeout_s: float,
                   env: dict[str, str] | None = None) -> dict[str, Any] | str:
    """Run ``cmd`` and parse the JSON object on its last stdout line.

    Returns that object, or one sentence naming ``what`` and why it gave nothing (timeout after
    ``timeout_s`` seconds, could not start, failed with its last stderr line, printed no JSON).
    ``env`` defaults to ``lifeline.child_env()`` (isolated from the working directory).
    """
    from profiler.lifeline import child_env

    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False,
                              env=child_env() if env is None else env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return f"the {what} did not finish in {timeout_s:.0f} s"
    except OSError as exc:
        return f"the {what} could not start ({exc})"
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return f"the {what} failed ({tail[:200]})"
    try:
        return last_line_json(done.stdout)
    except ValueError as exc:
        return f"the {what} printed something unexpected ({exc})"


def last_line_json(stdout: str) -> dict[str, Any]:
    """The JSON object a child printed as its last stdout line; ValueError naming what is wrong."""
    lines = stdout.strip().splitlines()
    if not lines:
        raise ValueError("nothing on stdout")
    value = json.loads(lines[-1])
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value
