"""Import rejects malformed and hostile files with one line and stores nothing."""

from __future__ import annotations

import json

import pytest

from profiler.history import HistoryStore
from profiler.reports.export import ImportRejected, import_run
from profiler.reports.validate import MAX_FILE_BYTES
from tests.helpers import fabricated


def good() -> dict:
    return fabricated("imp-1").to_dict()


def mutate(fn):
    data = good()
    fn(data)
    return json.dumps(data)


CASES = {
    "not json": ("{nope", "not valid JSON"),
    "array": ("[1, 2, 3]", "one JSON object"),
    "nan literal": (good_text := json.dumps(good()).replace('"energy_j": null', '"energy_j": NaN'),
                    "finite"),
    "infinity overflow": (json.dumps(good()).replace('"energy_j": null', '"energy_j": 1e999'),
                          "non-finite"),
    "deep nesting": ('{"a":' * 5000 + "1" + "}" * 5000, "nested deeper"),
    "moderate nesting": (mutate(lambda d: d["environment"].update(
        x={"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}})), "nested deeper"),
    "schema": (mutate(lambda d: d.update(schema=99)), "unsupported result schema"),
    "missing key": (mutate(lambda d: d.pop("spec")), "missing required key(s): spec"),
    "unknown key": (mutate(lambda d: d.update(payload="x")), "unknown key(s): payload"),
    "wrong type": (mutate(lambda d: d.update(samples_per_s="fast")), "samples_per_s must be"),
    "bool as number": (mutate(lambda d: d.update(params=True)), "params must be"),
    "bad run id": (mutate(lambda d: d.update(run_id="../../etc/passwd")), "run_id must be"),
    "bad status": (mutate(lambda d: d.update(status="hacked")), "status must be one of"),
    "negative step": (mutate(lambda d: d.update(step_times_s=[0.1, -1.0])), "non-negative"),
    "huge text": (mutate(lambda d: d.update(name="x" * 20_000)), "text longer than"),
    "spec unknown field": (mutate(lambda d: d["spec"].update(evil=1)), "unknown spec field"),
    "spec wrong type": (mutate(lambda d: d["spec"].update(batch_size="big")), "spec field batch_size"),
    "bad knobs": (mutate(lambda d: d["spec"].update(knobs={"width": "wide"})), "spec field knobs"),
    "bad envelope": (json.dumps({"format": "other", "schema": 1, "run": good()}), "not a horsepower-run"),
    "bad series": (json.dumps({"format": "horsepower-run", "schema": 1, "run": good(),
                               "series": {"steps": {"t_s": [1]}}}), "series.steps must have"),
    "telemetry text": (mutate(lambda d: d.update(telemetry={"x": {"mean": "hot"}})),
                       "must map to numbers"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_import_rejects(tmp_path, case):
    text, message = CASES[case]
    path = tmp_path / "run.json"
    path.write_text(text)
    store = HistoryStore(tmp_path / "db")
    with pytest.raises(ImportRejected, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        import_run(path, store)
    assert "\n" not in str(err.value)
    assert store.list_runs() == []


def test_import_rejects_huge_and_binary_files(tmp_path):
    store = HistoryStore(tmp_path / "db")
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse: no 50 MB written
    with pytest.raises(ImportRejected, match="at most 50 MB"):
        import_run(huge, store)
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ImportRejected, match="UTF-8"):
        import_run(binary, store)
    with pytest.raises(ImportRejected, match="cannot read"):
        import_run(tmp_path / "missing.json", store)
    assert store.list_runs() == []


def test_import_bare_result_recomputes_derived_figures(tmp_path):
    data = good()
    data["samples_per_s"] = 1e12  # a file's claim is not trusted: recomputed from step times
    path = tmp_path / "bare.json"
    path.write_text(json.dumps(data))
    store = HistoryStore(tmp_path / "db")
    assert import_run(path, store) == "imp-1"
    assert store.get("imp-1")["samples_per_s"] == pytest.approx(3200.0)
    with pytest.raises(ImportRejected, match="already in history"):
        import_run(path, store)
    assert len(store.list_runs()) == 1


def test_a_run_exported_mid_run_is_imported_as_interrupted(tmp_path):
    data = fabricated("midrun").to_dict()
    data["status"] = "measuring"
    path = tmp_path / "midrun.json"
    path.write_text(json.dumps(data))
    store = HistoryStore(tmp_path / "db")
    run_id = import_run(path, store)
    assert store.get(run_id)["status"] == "interrupted"
    store.close()


def test_a_schema_1_file_whose_steps_name_their_stage_phase_still_imports(tmp_path):
    """Before schema 2 of the envelope a step's run stage (warmup | timed) was its "phase"."""
    steps = {"step": [0, 1, 2], "phase": ["warmup", "timed", "timed"], "t_s": [0.1, 0.2, 0.3],
             "step_time_s": [0.1, 0.1, 0.1], "samples": [32, 32, 32], "loss": [1.0, 0.9, None]}
    envelope = {"format": "horsepower-run", "schema": 1, "run": fabricated("old-1").to_dict(),
                "series": {"steps": steps, "telemetry": {}, "notices": []}}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(envelope))
    with HistoryStore(tmp_path / "db") as store:
        assert import_run(path, store) == "old-1"
        stored = store.series("old-1")["steps"]
    assert stored["stage"] == ["warmup", "timed", "timed"] and "phase" not in stored
    assert stored["loss"] == [1.0, 0.9, None]
