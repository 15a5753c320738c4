"""``horsepower advise``: a real answer for a stored run, and every bad input (exit 2, nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from profiler.analysis.advisor import EPOCH_CREDIT, PROJECTED
from profiler.analysis.advisor.overrides import overrides_path
from profiler.cli import main
from profiler.history import HistoryStore
from tests.helpers import fabricated


@pytest.fixture
def stored() -> str:
    run = fabricated("20261201-000000-abcdef", workload="mlp", knobs={"width": 64, "depth": 1})
    run.environment = {"torch": "2.13.0", "hostname": "elsewhere", "cpu_model": "AMD Ryzen 9 9950X 16-Core Processor",
                       "torch_threads": 2}
    run.device_info = {"name": "AMD Ryzen 9 9950X 16-Core Processor", "details": {"physical_cores": 16}}
    with HistoryStore.open() as store:
        store.store_result(run.to_dict())
    return run.run_id


def test_advise_prints_a_ranked_answer_with_credit(stored: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["advise", stored[:12], "--samples", "1e6", "--epochs", "2", "--electricity", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "measured on AMD Ryzen 9 9950X (Zen 5, 16 cores), 2 cores" in out
    assert PROJECTED in out and "Recommendation:" in out and EPOCH_CREDIT in out
    assert "NVIDIA H100 SXM5 80GB" in out


def test_advise_json_and_html(stored: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    html = tmp_path / "advice.html"
    assert main(["advise", stored, "--json", "--rent", "--deadline", "24h", "--device", "h100-sxm",
                 "--device", "t4", "--html", str(html)]) == 0
    data = json.loads(capsys.readouterr().out)
    ids = [r["device_id"] for r in data["rows"]]
    assert {"h100-sxm", "t4"} <= set(ids) and data["constraints"]["mode"] == "rent"
    assert data["constraints"]["deadline_s"] == 86400 and data["label_projected"] == PROJECTED
    assert all("on_front" in p for p in data["chart"]) and EPOCH_CREDIT in data["credits"]
    page = html.read_text()
    assert "Which hardware?" in page and "Epoch AI" in page


def test_advise_a_run_file(stored: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with HistoryStore.open() as store:
        run = store.get(stored)
    assert run is not None
    file = tmp_path / "run.json"
    file.write_text(json.dumps({k: v for k, v in run.items() if k not in ("series", "history")}))
    assert main(["advise", str(file), "--device", "l4"]) == 0
    assert "NVIDIA L4" in capsys.readouterr().out


def test_a_stored_run_this_version_cannot_read_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    future = fabricated("20261201-000000-f00000").to_dict()
    future["spec"]["hologram_mode"] = True  # written by a newer Horsepower
    with HistoryStore.open() as store:
        store.store_result(future)
    assert main(["advise", "20261201-000000-f00000"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("20261201-000000-f00000: not a run Horsepower can read "
                        "(unknown run spec field(s): hologram_mode)") and "\n" not in err


@pytest.mark.parametrize(("args", "fragment"), [
    (["nope"], "no run 'nope'"),
    (["RUN", "--samples", "0"], "samples must be a whole number from 1 to"),
    (["RUN", "--samples", "-5"], "samples must be a whole number from 1 to"),
    (["RUN", "--samples", "many"], "samples must be a whole number from 1 to 1000000000000000000, got many"),
    (["RUN", "--epochs", "0"], "epochs must be a number above 0"),
    (["RUN", "--epochs", "-1"], "epochs must be a number above 0"),
    (["RUN", "--budget", "0"], "budget '0' must be more than zero"),
    (["RUN", "--budget", "-20"], "budget '-20' must be more than zero"),
    (["RUN", "--budget", "cheap"], "budget 'cheap' is not an amount"),
    (["RUN", "--deadline", "tomorrow"], "deadline 'tomorrow' is not a duration"),
    (["RUN", "--deadline", "0h"], "deadline '0h' must be longer than zero"),
    (["RUN", "--device", "quantum-9"], "unknown device id(s) quantum-9"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
        stored: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], fragment: str) -> None:
    html = tmp_path / "out.html"
    argv = ["advise", *[stored if a == "RUN" else a for a in args], "--html", str(html)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1
    assert not html.exists()


def test_bad_override_file_exits_2(stored: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    overrides_path().write_text(json.dumps({"schema": 1, "devices": [{"id": "t4", "tdp_w": "hot", "source": "x"}]}))
    html = tmp_path / "out.html"
    assert main(["advise", stored, "--html", str(html)]) == 2
    err = capsys.readouterr().err.strip()
    assert "hardware.json: devices[0] ('t4'): tdp_w must be a number from 0.1 to 100000" in err
    assert len(err.splitlines()) == 1
    assert not html.exists()


def test_unwritable_html_exits_2(stored: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["advise", stored, "--html", str(tmp_path / "missing" / "x.html")]) == 2


def test_catalogue_listing_and_missing_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["advise", "--catalogue"]) == 0
    data = json.loads(capsys.readouterr().out)
    h100 = next(d for d in data["devices"] if d["id"] == "h100-sxm")
    assert h100["memory_bytes"]["epoch"] and h100["peak_flops_per_s"]["bf16"]["age_days"] > 0
    assert EPOCH_CREDIT in data["credits"] and all(p["age_days"] >= 0 for p in data["prices"])
    assert main(["advise"]) == 2
    assert "give a RUN" in capsys.readouterr().err
