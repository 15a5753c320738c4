"""A NaN loss ends the run with a summary, a JSON and an exportable result, flagged; never an
internal error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.paths import TEST_MODELS

MODELS = TEST_MODELS


def test_nan_loss_run_is_summarised_saved_and_exportable(tmp_path: Path) -> None:
    env = {**os.environ, "HORSEPOWER_DATA_DIR": str(tmp_path / "d"), "HORSEPOWER_CONFIG_DIR": str(tmp_path / "c"),
           "HORSEPOWER_CACHE_DIR": str(tmp_path / "k"), "HORSEPOWER_CEILING": "off"}
    out = tmp_path / "r.json"
    done = subprocess.run([sys.executable, "-m", "profiler.cli", "run", "--model", f"{MODELS / 'nan_loss.py'}:build",
                           "--steps", "4", "--json", str(out)], capture_output=True, text=True, env=env, timeout=180,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "loss was NaN or infinite at 4 of 4 timed steps" in done.stdout
    result = json.loads(out.read_text())
    assert result["timed_steps"] == 4 and any("NaN" in w for w in result["warnings"])
    exported = subprocess.run([sys.executable, "-m", "profiler.cli", "export", result["run_id"], "--json", "-"],
                              capture_output=True, text=True, env=env, timeout=60, check=False)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["run"]["run_id"] == result["run_id"]  # stdout is the JSON, nothing else
