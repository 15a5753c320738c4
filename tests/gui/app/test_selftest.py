"""``horsepower --self-test``: the check runner, and the real thing end to end (offscreen)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gui.app import selftest, selftest_checks
from gui.app.selftest_checks import NotApplicable
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT


def test_run_check_reports_ok_na_and_fail_with_a_hint() -> None:
    ok = selftest.run_check("a", lambda: {"x": 1})
    assert (ok.status, ok.detail, ok.hint) == ("ok", {"x": 1}, None)

    def no_gpu() -> None:
        raise NotApplicable("no accelerator")

    na = selftest.run_check("b", no_gpu)
    assert (na.status, na.detail) == ("n/a", "no accelerator")

    def broken() -> None:
        raise OSError("libEGL.so.1: cannot open shared object file")

    fail = selftest.run_check("c", broken)
    assert fail.status == "fail" and fail.detail.startswith("OSError: libEGL.so.1")
    assert fail.hint is not None and "libegl1" in fail.hint
    assert fail.seconds >= 0


def test_summary_fails_only_on_a_failed_check() -> None:
    passing = [selftest.CheckResult("a", "ok", 0.1, ""), selftest.CheckResult("b", "n/a", 0.0, "no gpu")]
    assert selftest.summary(passing, 1.0)["ok"] is True
    failing = [*passing, selftest.CheckResult("c", "fail", 0.0, "boom")]
    doc = selftest.summary(failing, 1.0)
    assert doc["ok"] is False and [c["name"] for c in doc["checks"]] == ["a", "b", "c"]


def test_parse_args_ignores_the_launchers_flag() -> None:
    args = selftest.parse_args(["--self-test", "--steps", "3", "--skip-window"])
    assert args.steps == 3 and args.skip_window


def test_without_a_display_the_window_goes_offscreen(monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QApplication

    monkeypatch.setattr(QApplication, "instance", staticmethod(lambda: None))  # as in a fresh process
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    choice: dict[str, str] = {}
    with pytest.raises(NotApplicable, match="no display"):
        selftest_checks.check_qt_platform(choice)
    assert choice == {"platform": "offscreen"}


def test_a_broken_display_is_reported_and_the_window_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """A display whose Qt plugin cannot load aborts a probe child, not the self-test."""
    from PySide6.QtWidgets import QApplication

    monkeypatch.setattr(QApplication, "instance", staticmethod(lambda: None))  # as in a fresh process
    monkeypatch.setenv("DISPLAY", ":4242")  # no X server listens there
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    choice: dict[str, str] = {}
    with pytest.raises(RuntimeError, match="Qt platform plugin cannot start"):
        selftest_checks.check_qt_platform(choice)
    assert choice == {"platform": "offscreen"}


def test_devices_always_include_the_cpu() -> None:
    devices = selftest_checks.check_devices()
    assert devices[0]["id"] == "cpu" and devices[0]["available"]
    assert all(d["available"] or d["reason"] for d in devices)


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_horsepower_self_test_passes_offscreen(tmp_path: Path) -> None:
    """The launcher's ``--self-test`` in a fresh process: every check ok or n/a, exit 0."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    out = tmp_path / "summary.json"
    code = "import sys; from gui.app.launcher import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run(
        [sys.executable, "-c", code, "--self-test", "--json-out", str(out)],
        capture_output=True, text=True, timeout=220, cwd=tmp_path, env=env,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert json.loads(proc.stdout) == doc
    checks = {c["name"]: c for c in doc["checks"]}
    assert list(checks) == ["imports", "devices", "telemetry", "training", "qt_platform", "window"]
    assert all(c["status"] in ("ok", "n/a") for c in checks.values()), checks
    training = checks["training"]["detail"]
    assert training["status"] == "completed" and training["timed_steps"] == 5
    assert "worker process" in training["path"]
    assert checks["window"]["detail"]["platform"] == "offscreen"
    assert "self-test passed" in proc.stderr
