"""CLI: history, export, import, compare, sweep (fake runs), value; bad input exits 2."""

from __future__ import annotations

import json

import pytest

from profiler import cli
from profiler.cli import sweep as sweep_command
from profiler.history import HistoryStore
from profiler.results.result import RunResult
from tests.helpers import fabricated


@pytest.fixture
def two_runs():
    store = HistoryStore.open()
    store.store_result(fabricated("cpu-run", "cpu", step_s=0.02).to_dict())
    store.store_result(fabricated("gpu-run", "cuda:0", step_s=0.005, energy_j=10.0).to_dict())
    store.close()


def test_history_lists_runs(two_runs, capsys):
    assert cli.main(["history", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {r["run_id"] for r in listed} == {"cpu-run", "gpu-run"}
    assert cli.main(["history", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "cpu-run" in out and "gpu-run" not in out and "1,600" in out


def test_compare_speedup_vs_cpu(two_runs, capsys, tmp_path):
    report = tmp_path / "cmp.html"
    assert cli.main(["compare", "gpu-run", "cpu-run", "--json", "--html", str(report)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["baseline"] == "cpu-run"
    assert data["rows"][0]["speedup"] == pytest.approx(4.0)
    assert report.read_text().startswith("<!DOCTYPE html>")
    assert cli.main(["compare", "gpu-run", "cpu-run", "--baseline", "gpu"]) == 0
    assert "0.25×" in capsys.readouterr().out


def test_export_import_round_trip(two_runs, tmp_path, capsys, monkeypatch):
    for flag in ("--csv", "--json", "--html"):
        target = tmp_path / f"out{flag[2:]}"
        assert cli.main(["export", "cpu", flag, str(target)]) == 0
        assert target.stat().st_size > 0
    monkeypatch.setenv("HORSEPOWER_DATA_DIR", str(tmp_path / "elsewhere"))
    assert cli.main(["import", str(tmp_path / "outjson")]) == 0
    assert "imported run cpu-run" in capsys.readouterr().out
    assert HistoryStore.open().run_ids() == ["cpu-run"]


def test_bad_input_exits_2_and_writes_nothing(two_runs, tmp_path, capsys):
    target = tmp_path / "x.csv"
    assert cli.main(["export", "nope", "--csv", str(target)]) == 2
    err = capsys.readouterr().err
    assert "no run 'nope'" in err and "gpu-run" in err and err.count("\n") == 1
    assert not target.exists()
    assert cli.main(["export", "-", "--csv", str(tmp_path / "missing" / "x.csv")]) == 2
    assert cli.main(["compare", "cpu-run", "gpu-run", "--baseline", "zzz"]) == 2
    assert "no compared run 'zzz'" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    assert cli.main(["import", str(bad)]) == 2
    assert "one JSON object" in capsys.readouterr().err
    assert cli.main(["sweep", "--knob", "colour", "--values", "1,2", "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "unknown knob 'colour'" in err and "batch_size" in err and "width" in err
    assert cli.main(["sweep", "--knob", "width", "--values", "1,x", "--device", "cpu"]) == 2
    assert cli.main(["sweep", "--knob", "width", "--values", "64", "--device", "tpu:7"]) == 2
    assert len(HistoryStore.open().run_ids()) == 2


def test_sweep_command_with_fake_runs(monkeypatch, capsys):
    def fake_fn(*_args):
        def run(spec):
            result = RunResult(spec=spec, status="completed", samples_per_step=100)
            rate = 1000.0 if spec.device == "cpu" else spec.knobs["width"] * 4.0
            result.step_times_s = [100.0 / rate] * 3
            return result
        return run

    monkeypatch.setattr(sweep_command, "recording_run_fn", fake_fn)
    monkeypatch.setattr(sweep_command, "check_sweep", lambda *args: None)
    code = cli.main(["sweep", "--knob", "width", "--values", "64,1024", "--device", "cpu",
                     "--device", "cuda:0", "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["crossovers"]["cuda:0"]["kind"] == "crosses"
    assert data["crossovers"]["cuda:0"]["knob_value"] == pytest.approx(250.0)


def test_value_set_show_project(two_runs, capsys):
    assert cli.main(["value", "set", "--electricity", "0.25", "--currency", "EUR"]) == 0
    assert cli.main(["value", "set", "cuda:0", "--cloud", "2.0"]) == 0
    assert cli.main(["value", "set", "cpu", "--purchase", "876", "--years", "1",
                     "--hours-per-day", "24"]) == 0
    capsys.readouterr()
    assert cli.main(["value", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["currency"] == "EUR" and shown["devices"]["cuda:0"]["cloud_per_h"] == 2.0
    assert cli.main(["value", "show"]) == 0
    words = capsys.readouterr().out.splitlines()
    assert words[0].startswith("Prices in EUR (") and words[1:] == [
        "  electricity: 0.25 EUR/kWh",
        "  cpu: bought at 876 EUR, spread over 1 year at 24 h/day = 0.10 EUR/h plus electricity",
        "  cuda:0: rented at 2.00 EUR/h (taken to include electricity)"]
    assert cli.main(["value", "project", "cpu-run", "gpu-run", "--samples", "5760000",
                     "--json"]) == 0
    cpu, gpu = json.loads(capsys.readouterr().out)
    assert cpu["projection"]["time_s"] == pytest.approx(3600.0)  # 5.76e6 / 1600 per s
    assert cpu["projection"]["cost"] == pytest.approx(0.1)  # 876 / 8760 h, energy n/a
    assert "n/a: energy not measured" in cpu["value"]["notes"]
    assert gpu["projection"]["time_s"] == pytest.approx(900.0)
    assert gpu["projection"]["cost"] == pytest.approx(0.5)
    assert cli.main(["value", "set", "cpu", "--purchase", "1", "--cloud", "1"]) == 2
    assert cli.main(["value", "set", "cpu", "--purchase", "-5"]) == 2
    assert "--purchase: price must be a number from 0 to" in capsys.readouterr().err
