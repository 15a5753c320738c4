"""Inputs are never outputs: an output path naming the user's model, a module it imports, the
history database or a settings or cache file is refused (one line, exit 2) before any work,
and the file is left as it was."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from profiler.cli.common import UsageError, check_output
from profiler.run_inputs import model_files
from tests.paths import TEST_MODELS

MODELS = TEST_MODELS


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("DATA", "CONFIG", "CACHE"):
        (tmp_path / name.lower()).mkdir()
        monkeypatch.setenv(f"HORSEPOWER_{name}_DIR", str(tmp_path / name.lower()))
    return tmp_path


def model_with_helper(tmp_path: Path) -> tuple[Path, Path]:
    model = tmp_path / "my_model.py"
    helper = tmp_path / "my_layers.py"
    helper.write_text("WIDTH = 8\n")
    model.write_text("import my_layers\nfrom . import nothing_here\n" + (MODELS / "tiny_mlp.py").read_text())
    return model, helper


def test_the_model_and_its_local_modules_are_inputs(dirs: Path) -> None:
    model, helper = model_with_helper(dirs)
    assert set(model_files(f"{model}:build")) == {model, helper}
    for target in (model, helper):
        with pytest.raises(UsageError, match="input of this command"):
            check_output(str(target), f"{model}:build")
    link = dirs / "link.json"
    link.symlink_to(model)
    hard = dirs / "hard.json"
    os.link(model, hard)
    for target in (link, hard):
        with pytest.raises(UsageError, match="input of this command"):
            check_output(str(target), f"{model}:build")
    check_output(str(dirs / "result.json"), f"{model}:build")  # anything else is fine


def test_own_files_are_inputs_even_before_they_exist(dirs: Path) -> None:
    (dirs / "config" / "hardware.json").write_text("{}")
    (dirs / "config" / "window.json").write_text("{}")
    (dirs / "cache" / "ceilings.json").write_text("{}")
    for target in (dirs / "data" / "history.db", dirs / "data" / "history.db-wal", dirs / "config" / "hardware.json",
                   dirs / "config" / "window.json", dirs / "cache" / "ceilings.json"):
        with pytest.raises(UsageError, match="input of this command"):
            check_output(str(target))


def test_run_refuses_json_over_its_own_model_and_changes_nothing(dirs: Path) -> None:
    model = dirs / "model.py"
    shutil.copy(MODELS / "tiny_mlp.py", model)
    before = model.read_bytes()
    env = {**os.environ}
    for target in (model, dirs / "data" / "history.db"):
        done = subprocess.run([sys.executable, "-m", "profiler.cli", "run", "--model", f"{model}:build", "--steps",
                               "3", "--json", str(target)], capture_output=True, text=True, env=env, timeout=120,
                              check=False)
        assert done.returncode == 2, done.stderr
        assert "input of this command" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert model.read_bytes() == before
    assert not (dirs / "data" / "history.db").exists()
