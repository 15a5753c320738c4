"""``--trace``: N steps under torch.profiler after the timed window, kept in history, exported, bad input."""

from __future__ import annotations

import gzip
import json
import threading
from pathlib import Path
from typing import Any

import pytest
import torch

from profiler.cli import main
from profiler.events import EventBus, PhaseSample, RunNotice, StepFinished
from profiler.history import HistoryStore
from profiler.results.result import RunState
from profiler.results.spec import RunSpec, TraceRequest
from profiler.runner import run_training

TINY = ["--workload", "mlp", "--knob", "width=64", "--knob", "depth=1", "--batch-size", "32", "--threads", "1"]


def tiny(**changes: Any) -> RunSpec:
    return RunSpec(workload="mlp", knobs={"width": 64, "depth": 1}, batch_size=32, duration_s=None, steps=6,
                   threads=1, warmup_max_steps=5, warmup_max_s=0.5).replace(**changes)


def profiler_steps(trace: dict[str, Any]) -> list[str]:
    return sorted({e["name"] for e in trace["traceEvents"] if str(e.get("name", "")).startswith("ProfilerStep#")})


def test_trace_is_chrome_json_with_the_steps_asked_for_outside_the_timed_window(tmp_path: Path) -> None:
    path = tmp_path / "trace.json"
    events: list[Any] = []
    bus = EventBus()
    bus.subscribe(events.append)
    result = run_training(tiny(), bus=bus, trace=TraceRequest(str(path), steps=3))
    assert result.status == RunState.COMPLETED
    trace = json.loads(path.read_text())
    assert isinstance(trace["traceEvents"], list) and trace["traceEvents"]
    assert all({"name", "ph"} <= set(e) for e in trace["traceEvents"] if e.get("ph") == "X")
    assert profiler_steps(trace) == ["ProfilerStep#1", "ProfilerStep#2", "ProfilerStep#3"]
    # The timed window is exactly the 6 steps asked for; the traced steps are in no figure.
    assert len(result.step_times_s) == 6
    timed = [e for e in events if isinstance(e, StepFinished) and e.stage == "timed"]
    assert len(timed) == 6
    notice = next(i for i, e in enumerate(events) if isinstance(e, RunNotice) and "trace" in e.message)
    assert not any(isinstance(e, StepFinished) for e in events[notice:])
    assert events[notice].t_s >= timed[-1].t_s
    info = result.to_dict()["trace"]
    assert info["path"] == str(path) and info["steps"] == 3 and info["bytes"] == path.stat().st_size
    assert info["activities"][0] == "cpu" and info["format"] == "chrome-trace-json"
    assert not any("trace" in n for n in result.notices)  # a progress message, not a note on the result


def test_a_gz_name_writes_a_compressed_trace(tmp_path: Path) -> None:
    path = tmp_path / "trace.json.gz"
    run_training(tiny(steps=2), trace=TraceRequest(str(path), steps=2))
    assert profiler_steps(json.loads(gzip.decompress(path.read_bytes()))) == ["ProfilerStep#1", "ProfilerStep#2"]
    assert not [p for p in tmp_path.iterdir() if p.name != path.name], "no temporary file left behind"


def test_a_failed_trace_leaves_the_run_and_its_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import profiler.runner.loop as loop

    def broken(*args: object) -> dict[str, Any]:
        raise RuntimeError("kineto is unwell")

    monkeypatch.setattr(loop, "capture_trace", broken)
    result = run_training(tiny(), trace=TraceRequest(str(tmp_path / "t.json")))
    assert result.status == RunState.COMPLETED and len(result.step_times_s) == 6
    assert result.trace is None
    assert any("trace could not be recorded" in w and "kineto is unwell" in w for w in result.warnings)


@pytest.mark.parametrize(("path", "steps"), [("t.json", 0), ("t.json", -3), ("t.json", True), ("-", 5), ("", 5)])
def test_bad_trace_requests_are_refused(path: str, steps: Any) -> None:
    with pytest.raises(ValueError):
        TraceRequest(path, steps)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--trace", "{tmp}/t.json", "--trace-steps", "0"],
         "trace steps must be a whole number from 1 to 100000, got 0"),
        (["--trace-steps", "5"], "--trace-steps needs --trace FILE"),
        (["--trace", "-"], "--trace needs a file name"),
        (["--trace", "/sys/horsepower-trace.json"], "cannot write /sys/horsepower-trace.json"),
        (["--trace", "{tmp}/missing/t.json"], "does not exist"),
        (["--trace", "{tmp}/same.json", "--json", "{tmp}/same.json"], "--trace and --json name the same file"),
    ],
)
def test_bad_trace_input_is_one_line_exit_2_and_nothing_runs(
        args: list[str], fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert main(["run", *TINY, "--steps", "3", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and fragment in err, err
    assert list(tmp_path.iterdir()) == []
    with HistoryStore.open() as store:
        assert store.run_ids() == []


def test_history_keeps_the_trace_and_export_writes_it_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = tmp_path / "t.json"
    assert main(["run", *TINY, "--steps", "3", "--trace", str(original), "--trace-steps", "2"]) == 0
    summary = capsys.readouterr().out
    assert "trace" in summary and str(original) in summary
    with HistoryStore.open() as store:
        (run_id,) = store.run_ids()
        kept = store.trace_file(run_id)
        stored = store.get(run_id)
    assert kept is not None and stored is not None
    assert stored["trace"]["stored"] == str(kept) and stored["trace"]["steps"] == 2
    original.unlink()  # the user's copy may go; the history's stays
    out = tmp_path / "out.json"
    assert main(["export", run_id, "--trace", str(out)]) == 0
    assert profiler_steps(json.loads(out.read_text())) == ["ProfilerStep#1", "ProfilerStep#2"]
    with HistoryStore.open() as store:
        assert store.delete(run_id)
        assert store.trace_file(run_id) is None
    assert not kept.exists()


def test_export_of_a_run_without_a_trace_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", *TINY, "--steps", "2"]) == 0
    with HistoryStore.open() as store:
        (run_id,) = store.run_ids()
    capsys.readouterr()
    out = tmp_path / "t.json"
    assert main(["export", run_id, "--trace", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "has no trace" in err and "--trace FILE" in err
    assert not out.exists()


def test_isolated_run_passes_the_trace_to_the_worker_and_phases_cross_the_pipe(tmp_path: Path) -> None:
    from profiler.worker.supervisor import supervise

    path = tmp_path / "w.json"
    events: list[Any] = []
    bus = EventBus()
    bus.subscribe(events.append)
    result = supervise(tiny(steps=3), bus, threading.Event(), trace=TraceRequest(str(path), 2))
    assert result.status == RunState.COMPLETED
    assert result.trace is not None and result.trace["steps"] == 2
    assert profiler_steps(json.loads(path.read_text())) == ["ProfilerStep#1", "ProfilerStep#2"]
    samples = [e for e in events if isinstance(e, PhaseSample)]
    assert samples, "the first timed step is followed by a phase sample"
    assert result.to_dict()["phases"]["sampled_steps"] == len(samples)


def test_a_crashed_worker_keeps_the_phase_samples_it_sent() -> None:
    from profiler.worker.partial import PartialRun

    partial = PartialRun(tiny(), "r1")
    for i in range(5):  # a verdict needs 5 sampled steps
        partial.observe(StepFinished("r1", i, "timed", 0.1 * i, 0.01, 32, 1.0))
        partial.observe(PhaseSample("r1", 10 + i, 0.1 * i, {"data_wait": 0.001, "forward": 0.004,
                                                            "backward": 0.003, "optimizer": 0.002}))
    data = partial.to_result(RunState.FAILED, "worker died").to_dict()
    assert data["phases"]["sampled_steps"] == 5
    assert data["phases"]["fraction"]["forward"] == pytest.approx(0.4)
    assert data["verdict"]["kind"] == "compute-bound"


def test_phases_and_trace_survive_export_and_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", *TINY, "--steps", "4", "--trace", str(tmp_path / "t.json"), "--trace-steps", "1"]) == 0
    with HistoryStore.open() as store:
        (run_id,) = store.run_ids()
        before = store.get(run_id)
    assert before is not None and before["phases"] is not None
    exported = tmp_path / "run.json"
    assert main(["export", run_id, "--json", str(exported)]) == 0
    with HistoryStore.open() as store:
        store.delete(run_id)
    assert main(["import", str(exported)]) == 0
    with HistoryStore.open() as store:
        after = store.get(run_id)
        assert store.trace_file(run_id) is None
    assert after is not None
    assert after["phases"] == before["phases"] and after["verdict"] == before["verdict"]
    assert after["trace"]["steps"] == 1 and after["trace"]["stored"] is None  # the file stayed behind
    capsys.readouterr()
    assert main(["export", run_id, "--trace", str(tmp_path / "again.json")]) == 2
    assert "kept no copy" in capsys.readouterr().err


def test_import_rejects_a_broken_phase_split(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from profiler.results.result import RunResult

    data = RunResult(spec=tiny(), run_id="r-bad", status="completed", step_times_s=[0.01]).to_dict()
    data["phases"] = {"every_n_steps": 10, "min_interval_s": 0.25, "sampled_steps": 1,
                      "samples": [{"teleport": 0.5}]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    assert main(["import", str(path)]) == 2
    assert "unknown phase(s) teleport" in capsys.readouterr().err


def test_a_stop_during_the_trace_abandons_it_and_writes_nothing(tmp_path: Path) -> None:
    from profiler.runner.phases import BatchFeed
    from profiler.runner.precision import plan_precision
    from profiler.runner.step import make_optimizer, make_step
    from profiler.runner.trace import capture_trace
    from profiler.workloads import get_workload

    built = get_workload("mlp").build("cpu", "S", 8, {"width": 16, "depth": 1})
    step = make_step(built, built.model, make_optimizer(built.model), plan_precision("cpu", "fp32"))
    calls = iter(range(100))
    path = tmp_path / "t.json"
    got = capture_trace(step, BatchFeed(built.make_batch), torch.device("cpu"),
                        TraceRequest(str(path), 5), cancelled=lambda: next(calls) >= 2)
    assert got is None
    assert list(tmp_path.iterdir()) == []
