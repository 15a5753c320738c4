"""A NaN loss ends the run with a summary, a JSON and an exportable result, flagged; never an
internal error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from profiler import cli
from tests.paths import TEST_MODELS

MODELS = TEST_MODELS


@pytest.mark.slow
def test_nan_loss_run_is_summarised_saved_and_exportable(tmp_path: Path, capfd: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # the CLI in this process (its training worker is a process of its own, as always): one
    # interpreter start-up less than `python -m profiler.cli` for each of the two commands
    monkeypatch.setenv("HORSEPOWER_CEILING", "off")
    out = tmp_path / "r.json"
    code = cli.main(["run", "--model", f"{MODELS / 'nan_loss.py'}:build", "--steps", "4", "--json", str(out)])
    stdout, stderr = capfd.readouterr()
    assert code == 0, stderr
    assert "loss was NaN or infinite at 4 of 4 timed steps" in stdout
    result = json.loads(out.read_text())
    assert result["timed_steps"] == 4 and any("NaN" in w for w in result["warnings"])
    assert cli.main(["export", result["run_id"], "--json", "-"]) == 0
    exported, stderr = capfd.readouterr()
    assert json.loads(exported)["run"]["run_id"] == result["run_id"], stderr  # stdout is the JSON, nothing else
