"""The headless ``horsepower`` command: devices, run, JSON, bad input, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from profiler.cli import main
from tests.helpers import WAIT_S, stop_process

TINY = ["--workload", "mlp", "--knob", "width=64", "--knob", "depth=1", "--batch-size", "32", "--threads", "1"]


def horsepower(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gui.app.launcher", *args], capture_output=True, text=True,
                          timeout=180, **kw)  # type: ignore[call-overload]


def test_devices_explains_why_no_accelerator(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("cpu ")
    assert "unavailable: this torch is a CPU-only build" in out


def test_devices_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    ids = [d["id"] for d in data["devices"]]
    assert ids[0] == "cpu"
    assert all(d["available"] or d["reason"] for d in data["devices"])


def test_run_writes_json_with_documented_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    code = main(["run", *TINY, "--duration", "0.5", "--name", "tiny cpu", "--json", str(out), "--no-history"])
    assert code == 0
    data = json.loads(out.read_text())
    for key in ("status", "device", "workload", "batch_size", "params", "flops_per_step", "samples_per_s",
                "achieved_flops_per_s", "peak_flops_per_s", "mfu", "step_time_s", "warnings", "name", "telemetry"):
        assert key in data, key
    assert data["name"] == "tiny cpu"
    assert {"median", "p5", "p95"} <= set(data["step_time_s"])
    assert "mean" in data["telemetry"]["host.cpu_util_percent"]
    assert "max" in data["telemetry"]["host.process_rss_bytes"]
    summary = capsys.readouterr().out
    assert "samples/s" in summary and "MFU" in summary


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--device", "cuda:0"], "not usable: this torch is a CPU-only build"),
        (["--device", "quantum"], "valid devices: cpu"),
        (["--workload", "bert"], "choose from mlp"),
        (["--batch-size", "0"], "batch size must be a whole number from 1"),
        (["--precision", "tf32"], "TF32 exists only on NVIDIA"),
        (["--knob", "width"], "--knob takes NAME=INTEGER"),
        (["--steps", "0"], "steps must be a whole number from 1"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], fragment: str
) -> None:
    out = tmp_path / "r.json"
    code = main(["run", *TINY, *args, "--json", str(out), "--no-history"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert fragment in err
    assert len(err.splitlines()) == 1
    assert not out.exists()


def test_argparse_choices_also_exit_2(tmp_path: Path) -> None:
    proc = horsepower("run", "--precision", "fp8", "--json", str(tmp_path / "x.json"))
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr
    assert not (tmp_path / "x.json").exists()


def test_json_into_missing_directory_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", *TINY, "--json", str(tmp_path / "nope" / "r.json")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="SIGINT delivery")
def test_ctrl_c_stops_cleanly_and_still_reports(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gui.app.launcher", "run", *TINY, "--duration", "60", "--json", str(out),
         "--no-history"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # a progress line of the timed window: timed steps were measured
            if "/60 s" in line:
                break
        proc.send_signal(signal.SIGINT)
        stdout, _ = proc.communicate(timeout=WAIT_S)
    finally:
        stop_process(proc)
    assert proc.returncode == 130
    data = json.loads(out.read_text())
    assert data["status"] == "stopped"
    assert data["samples_per_s"] > 0
    assert "stopped" in stdout
