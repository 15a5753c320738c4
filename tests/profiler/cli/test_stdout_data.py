"""Stdout carries data only when it is the data channel: a model's prints during its check,
status lines and tables go to stderr, so ``--json -`` / ``--html -`` parse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import TEST_MODELS

MODELS = TEST_MODELS


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HORSEPOWER_DATA_DIR": str(tmp_path / "d"), "HORSEPOWER_CONFIG_DIR": str(tmp_path / "c"),
           "HORSEPOWER_CACHE_DIR": str(tmp_path / "k"), "HORSEPOWER_CEILING": "off"}
    return subprocess.run([sys.executable, "-m", "profiler.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300, check=False)


@pytest.mark.slow
def test_json_stdout_is_only_json_even_when_the_model_prints(tmp_path: Path) -> None:
    done = cli(tmp_path, "run", "--model", f"{MODELS / 'hangs.py'}:noisy", "--steps", "3", "--json", "-")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # nothing but the JSON
    assert "NOISE from the factory" in done.stderr  # the check's prints are not lost, only moved
    for flags in (["--json"], ["--html", "-"]):
        other = cli(tmp_path, "compare", result["run_id"], result["run_id"], *flags)
        assert other.returncode == 0, other.stderr
        if flags[0] == "--json":
            json.loads(other.stdout)
        else:
            assert other.stdout.lstrip().lower().startswith("<!doctype html")
    both = cli(tmp_path, "compare", result["run_id"], result["run_id"], "--json", "--html", "-")
    assert both.returncode == 2 and both.stdout == ""
