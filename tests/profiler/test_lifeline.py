"""Helper processes never import from the working directory (a ``typing.py`` there must not
run), and the isolation helpers say what they promise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from profiler.lifeline import child_env, python_command, safe_pythonpath

HOSTILE = "import pathlib, os\npathlib.Path(os.environ['PWN_FILE']).write_text('pwned')\nraise SystemExit(99)\n"


def test_python_command_and_env_keep_the_working_directory_off_the_path() -> None:
    assert python_command("profiler.cli", "x")[1:] == ["-P", "-m", "profiler.cli", "x"]
    path = safe_pythonpath(f"{os.pathsep}.{os.pathsep}rel/dir{os.pathsep}/abs/dir")
    entries = path.split(os.pathsep)
    assert "" not in entries and "." not in entries and "rel/dir" not in entries
    assert entries[-1] == "/abs/dir"
    env = child_env({"X": "1"}, base={"PYTHONPATH": ":."})
    assert env["PYTHONSAFEPATH"] == "1" and env["X"] == "1" and env["HORSEPOWER_PARENT_PID"] == str(os.getpid())


@pytest.mark.parametrize("args", [
    ["run", "--workload", "mlp", "--knob", "width=32", "--knob", "depth=1", "--batch-size", "8", "--steps", "3",
     "--threads", "1", "--isolated", "--no-history"],
    ["scale", "--nproc", "1", "--workload", "mlp", "--knob", "width=32", "--knob", "depth=1", "--batch-size", "8",
     "--steps", "3", "--no-peak", "--reference-steps", "1", "--no-history"],
])
@pytest.mark.slow
def test_no_child_imports_from_the_working_directory(tmp_path: Path, args: list[str]) -> None:
    hostile = tmp_path / "cwd"
    hostile.mkdir()
    for name in ("typing.py", "json.py", "signal.py"):  # what every child imports early
        (hostile / name).write_text(HOSTILE)
    pwned = tmp_path / "PWN"
    env = {**os.environ, "PWN_FILE": str(pwned), "HORSEPOWER_DATA_DIR": str(tmp_path / "data"),
           "HORSEPOWER_CONFIG_DIR": str(tmp_path / "config"), "HORSEPOWER_CACHE_DIR": str(tmp_path / "cache")}
    # the parent itself starts like the `horsepower` script: its own directory, not the cwd, on sys.path
    done = subprocess.run([sys.executable, "-P", "-m", "profiler.cli", *args], cwd=hostile, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert not pwned.exists(), f"a child imported the working directory's modules: {done.stderr[-2000:]}"
    assert done.returncode == 0, done.stderr[-2000:]
