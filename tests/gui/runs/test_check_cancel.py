"""A model check that hangs can be cancelled, and closing the window stops it: no check
process is left running the user's code."""

from __future__ import annotations

import psutil
import pytest

from gui.runs.model_checker import ModelChecker
from profiler.runner.model_check import forget_checks
from tests.paths import TEST_MODELS

MODELS = TEST_MODELS
HANGS = f"{MODELS / 'hangs.py'}:hangs_when_built"


def check_children() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True)
            if "spawn_main" in " ".join(p.cmdline()) and p.status() != psutil.STATUS_ZOMBIE]


@pytest.mark.parametrize("how", ["cancel", "shutdown"])
def test_a_hung_check_is_stopped(qtbot, tmp_path, monkeypatch, how: str) -> None:
    monkeypatch.setenv("HORSEPOWER_TEST_HANG_FILE", str(tmp_path / "hanging"))
    forget_checks()
    checker = ModelChecker()
    failed: list[str] = []
    checker.sig_check_failed.connect(lambda ref, message, details: failed.append(message))
    try:
        assert checker.check(HANGS)
        qtbot.waitUntil(lambda: (tmp_path / "hanging").exists(), timeout=120_000)
        if how == "cancel":
            checker.cancel()
            qtbot.waitUntil(lambda: bool(failed), timeout=15_000)
            assert "stopped" in failed[0]
        else:
            assert checker.shutdown(15.0)
        qtbot.waitUntil(lambda: not check_children(), timeout=5_000)
    finally:
        checker.shutdown(15.0)
