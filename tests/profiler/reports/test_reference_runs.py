"""Reference runs: the loader accepts complete, sourced runs and names every rejected file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from profiler.reports.reference_runs import load_reference_runs
from tests.helpers import fabricated


def reference(run_id: str, device: str = "cpu", **env: Any) -> dict[str, Any]:
    run = fabricated(run_id, device=device)
    run.environment = {"torch": "2.13.0", "hostname": "lab-1", "cpu_model": "AMD EPYC 9755", **env}
    run.device_info = {"name": "NVIDIA H200" if device != "cpu" else "AMD EPYC 9755", "details": {}}
    return run.to_dict()


def test_shipped_reference_folder_loads() -> None:
    runs, problems = load_reference_runs()
    assert problems == [] and isinstance(runs, list)


def test_good_and_bad_reference_files(tmp_path: Path) -> None:
    good_cpu = reference("good-cpu")
    good_gpu = reference("good-gpu", device="cuda:0", driver="580.95")
    envelope = {"format": "horsepower-run", "schema": 1, "run": reference("wrapped"), "series": None}
    no_torch = reference("no-torch")
    no_torch["environment"].pop("torch")
    no_driver = reference("no-driver", device="cuda:0")
    failed = {**reference("failed"), "status": "failed"}
    files = {"a.json": good_cpu, "b.json": good_gpu, "c.json": envelope, "d.json": no_torch, "e.json": no_driver,
             "f.json": failed}
    for name, data in files.items():
        (tmp_path / name).write_text(json.dumps(data))
    (tmp_path / "g.json").write_text("{broken")
    (tmp_path / "h.json").write_text(json.dumps({**good_cpu, "surprise": 1}))
    runs, problems = load_reference_runs(tmp_path)
    assert [r.run_id for r in runs] == ["good-cpu", "good-gpu", "wrapped"]
    assert len(problems) == 5 and all(p.startswith("reference run ") for p in problems)
    text = "\n".join(problems)
    assert "d.json skipped: a reference run must record environment.torch" in text
    assert "e.json skipped: an accelerator reference run must record its driver" in text
    assert "f.json skipped: a reference run must be completed" in text
    assert "g.json skipped: not valid JSON" in text and "h.json skipped: unknown key(s): surprise" in text
