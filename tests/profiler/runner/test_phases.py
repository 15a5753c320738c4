"""The per-phase split of the step: timing, sampling, adding up, the result, the verdict on real runs."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest
import torch

from profiler.events import EventBus, PhaseSample, StepFinished
from profiler.metrics.phases import PHASES, PhaseRecord, phase_summary
from profiler.results.result import RunResult
from profiler.results.spec import RunSpec
from profiler.runner import run_training
from profiler.runner.clock import StepClock
from profiler.runner.phases import BatchFeed, PhaseLog, PhaseSchedule, PhaseTimer, sampled_step
from profiler.runner.precision import plan_precision
from profiler.runner.step import make_optimizer, make_step
from profiler.workloads import get_workload
from profiler.workloads.pipeline import batch_to_device

TINY_MLP = {"width": 64, "depth": 1}
SLOW_DATA = {"input_pipeline": True, "loader_delay_ms": 1.0}  # a batch of 32 takes ~32 ms to load


def spec(**changes: Any) -> RunSpec:
    base = RunSpec(workload="mlp", knobs=dict(TINY_MLP), batch_size=32, duration_s=1.5, threads=1,
                   warmup_max_steps=10, warmup_max_s=1.0)
    return base.replace(**changes)


def recorded(run_spec: RunSpec) -> tuple[RunResult, list[Any]]:
    events: list[Any] = []
    bus = EventBus()
    bus.subscribe(events.append)
    return run_training(run_spec, bus=bus), events


# ---- timing one step ----------------------------------------------------------------------


def test_cpu_phases_of_a_real_step_add_up_to_its_wall_time() -> None:
    built = get_workload("mlp").build("cpu", "S", 32, dict(TINY_MLP))
    step = make_step(built, built.model, make_optimizer(built.model), plan_precision("cpu", "fp32"))
    timer = PhaseTimer(torch.device("cpu"))
    feed = BatchFeed(built.make_batch)
    for _ in range(3):
        step(feed.next())  # warm
    walls, totals = [], []
    for _ in range(5):  # the median of five: one step preempted on a busy machine is not the rule
        start = time.perf_counter()
        loss, phases = sampled_step(step, feed, timer)
        walls.append(time.perf_counter() - start)
        totals.append(sum(phases.values()))
        assert list(phases) == ["data_wait", "forward", "backward", "optimizer"]  # no copy, no device wait
        assert all(v >= 0 for v in phases.values())
        assert torch.isfinite(loss)
    ratios = sorted(t / w for t, w in zip(totals, walls, strict=True))
    assert ratios[2] == pytest.approx(1.0, rel=0.05)


def test_timer_splits_host_time_from_device_wait_on_an_accelerator(monkeypatch: pytest.MonkeyPatch) -> None:
    """The accelerator path, with a fake device whose synchronize takes 20 ms."""
    import profiler.runner.phases as phases_mod

    monkeypatch.setattr(phases_mod, "is_accelerator", lambda device: True)
    monkeypatch.setattr(phases_mod, "synchronize", lambda device: time.sleep(0.02))
    timer = PhaseTimer(torch.device("cpu"))
    timer.start()
    time.sleep(0.01)
    timer.mark("data_wait")   # not a compute phase: keeps its wait
    timer.mark("forward")     # a compute phase: its wait goes to device_wait
    timer.mark("backward")
    got = timer.phases
    assert set(got) == {"data_wait", "forward", "backward", "device_wait"}
    assert got["data_wait"] >= 0.029
    assert got["forward"] < 0.01 and got["backward"] < 0.01
    assert got["device_wait"] >= 0.039


def test_feed_copies_only_to_an_accelerator() -> None:
    host = BatchFeed(lambda: (torch.ones(2), torch.zeros(2)), torch.device("cpu"))
    assert not host.copies  # a CPU model: the copy is a no-op and counts as data wait
    assert not BatchFeed(lambda: None).copies


def test_batch_to_device_keeps_the_batch_shape() -> None:
    from collections import namedtuple

    pair = namedtuple("pair", "x y")
    batch = {"x": torch.ones(2), "rest": [torch.zeros(1), (torch.ones(1), 3)], "p": pair(torch.ones(1), "a")}
    moved = batch_to_device(batch, torch.device("cpu"))
    assert set(moved) == {"x", "rest", "p"}
    assert isinstance(moved["rest"], list) and isinstance(moved["rest"][1], tuple)
    assert moved["rest"][1][1] == 3
    assert isinstance(moved["p"], pair) and moved["p"].y == "a"


def test_clock_pause_bills_the_gap_to_no_step() -> None:
    clock = StepClock(torch.device("cpu"))
    clock.start()
    time.sleep(0.01)
    clock.step_done()
    first = clock.pause()
    time.sleep(0.05)  # a sampled step
    clock.resume()
    time.sleep(0.01)
    clock.step_done()
    second = clock.collect()
    assert len(first) == 1 and len(second) == 1
    assert second[0] < 0.04


# ---- sampling plan ------------------------------------------------------------------------


def _simulate(schedule: PhaseSchedule, timed_steps: int) -> list[int]:
    """Drive ``schedule`` like the loop does; returns after how many timed steps each sample came."""
    taken, timed = [], 0
    while timed < timed_steps:
        if schedule.due(timed):
            schedule.taken(timed)
            taken.append(timed)
        else:
            timed += 1
    return taken


def test_schedule_samples_after_the_first_step_then_every_n_on_average() -> None:
    taken = _simulate(PhaseSchedule(every_n_steps=10, min_interval_s=0.0, seed=3), 20_000)
    assert taken[0] == 1
    gaps = [b - a for a, b in itertools.pairwise(taken)]
    assert min(gaps) >= 1 and max(gaps) <= 19
    assert sum(gaps) / len(gaps) == pytest.approx(10, rel=0.1)


def test_schedule_does_not_alias_with_a_periodic_step_pattern() -> None:
    """Two DataLoader workers make every other step wait: samples must hit both kinds."""
    taken = _simulate(PhaseSchedule(every_n_steps=10, min_interval_s=0.0, seed=0), 20_000)
    odd = sum(t % 2 for t in taken) / len(taken)
    assert 0.4 < odd < 0.6


def test_schedule_is_bounded_in_time_and_can_be_off() -> None:
    now = [0.0]

    def clock() -> float:
        now[0] += 0.001  # every call: 1 ms, about one step of a fast workload
        return now[0]

    schedule = PhaseSchedule(every_n_steps=2, min_interval_s=0.25, clock=clock)
    timed = 0
    for _ in range(5):
        while not schedule.due(timed):
            timed += 1
            clock()
        schedule.taken(timed)
    assert schedule.stride >= 200  # ~250 one-millisecond steps per 0.25 s
    off = PhaseSchedule(every_n_steps=0)
    assert not any(off.due(n) for n in range(100))
    with pytest.raises(ValueError):
        PhaseSchedule(every_n_steps=-1)


def test_log_thins_evenly_past_its_bound() -> None:
    log = PhaseLog(PhaseSchedule(10), in_timed_window=True, max_kept=8)
    for i in range(100):
        log.add({"forward": float(i)})
    record = log.record
    assert record.sampled_steps == 100
    assert 4 <= len(record.samples) <= 8
    kept = [s["forward"] for s in record.samples]
    gaps = {b - a for a, b in itertools.pairwise(kept)}
    assert len(gaps) == 1, f"kept samples are evenly spread: {kept}"


# ---- real runs ----------------------------------------------------------------------------


def test_cpu_sampled_steps_stay_timed_steps() -> None:
    """On the CPU a sampled step costs a few clock reads: it is a timed step like any other."""
    result, events = recorded(spec())
    data = result.to_dict()
    samples = [e for e in events if isinstance(e, PhaseSample)]
    timed = {e.step: e for e in events if isinstance(e, StepFinished) and e.stage == "timed"}
    phases = data["phases"]
    assert samples and phases["sampled_steps"] == len(samples) == len(result.phase_record.samples)
    assert phases["in_timed_window"] is True
    assert {s.step for s in samples} <= set(timed)
    assert len(timed) == len(result.step_times_s)
    assert data["samples_per_s"] == pytest.approx(32 * len(timed) / sum(result.step_times_s))
    # How often: on average no more than one per min_interval_s (0.25 s) and one per
    # every_n_steps timed steps (random gaps: allow a few more than the mean).
    span_s = samples[-1].t_s - samples[0].t_s
    assert len(samples) <= 2 * span_s / phases["min_interval_s"] + 2
    assert phases["timed_steps_per_sample"] == pytest.approx(len(timed) / len(samples))
    # What it costs: the sampled steps are a small, accounted share of the window.
    assert phases["overhead"] is not None
    assert 0 < phases["share_of_window"] < 0.5
    assert [s.phases for s in samples] == result.phase_record.samples
    assert all(set(s.phases) <= set(PHASES) for s in samples)


def test_synchronized_sampled_steps_are_left_out_of_the_timed_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """The accelerator path on the CPU: marks that synchronize make sampled steps slower, so
    the loop pauses its clock around them and they are in no timed figure."""
    import profiler.runner.phases as phases_mod

    monkeypatch.setattr(phases_mod, "is_accelerator", lambda device: True)
    monkeypatch.setattr(phases_mod, "synchronize", lambda device: time.sleep(0.0005))
    result, events = recorded(spec(input_pipeline=True, loader_workers=0))
    data = result.to_dict()
    samples = [e for e in events if isinstance(e, PhaseSample)]
    timed = [e for e in events if isinstance(e, StepFinished) and e.stage == "timed"]
    assert samples and data["phases"]["in_timed_window"] is False
    assert {s.step for s in samples}.isdisjoint({e.step for e in timed})
    assert len(timed) == len(result.step_times_s)
    assert data["samples_per_s"] == pytest.approx(32 * len(timed) / sum(result.step_times_s))
    assert data["phases"]["order"] == ["data_wait", "h2d_copy", "forward", "backward", "optimizer", "device_wait"]
    # each of its 5 marks waited 0.5 ms: the sampled step is measurably slower, and says so
    assert data["phases"]["overhead"] > 0
    assert 0 < data["phases"]["share_of_window"] < 0.5


def test_phase_sampling_off_leaves_no_split() -> None:
    result, events = recorded(spec(phase_every=0, duration_s=0.5))
    assert not any(isinstance(e, PhaseSample) for e in events)
    data = result.to_dict()
    assert data["phases"] is None and data["verdict"] is None


def test_phase_times_add_up_to_the_step_time() -> None:
    """A slow pipeline (~32 ms of loading per step) makes the step time steady enough to
    compare: the mean sampled split must equal the median timed step within 5%."""
    result, events = recorded(spec(**SLOW_DATA, loader_workers=0, duration_s=2.5, phase_every=5))
    phases = result.to_dict()["phases"]
    assert phases["sampled_steps"] >= 3
    # Each sampled step's phases add up to that very step's time, taken by the step clock:
    # the phases cover the step but for the loop's own bookkeeping between steps.
    step_time = {e.step: e.step_time_s for e in events if isinstance(e, StepFinished) and e.stage == "timed"}
    ratios = sorted(sum(e.phases.values()) / step_time[e.step] for e in events if isinstance(e, PhaseSample))
    assert all(r <= 1.0 + 1e-9 for r in ratios), ratios  # a part never exceeds the whole
    assert ratios[len(ratios) // 2] == pytest.approx(1.0, rel=0.05), ratios
    # The summary is consistent: its mean phases sum to the mean sampled step, fractions to 1,
    # and on the whole the sampled steps are like the others (a loose bound: a busy machine).
    assert sum(phases["mean_s"].values()) == pytest.approx(phases["sampled_step_s"])
    assert sum(phases["fraction"].values()) == pytest.approx(1.0)
    assert phases["sampled_step_median_s"] == pytest.approx(phases["timed_step_median_s"], rel=0.25)


def test_verdict_on_a_slow_pipeline_is_input_bound() -> None:
    # 4 s: phase samples come at most every 0.25 s and a verdict needs 5 (a busy machine takes some of them)
    result, _ = recorded(spec(**SLOW_DATA, loader_workers=2, duration_s=4.0))
    data = result.to_dict()
    verdict = data["verdict"]
    assert verdict is not None, data["phases"]
    assert verdict["kind"] == "input-bound", data["phases"]["fraction"]
    assert verdict["input_fraction"] > 0.5
    assert verdict["message"].startswith("input-bound (from ")
    assert "of each step waits for data" in verdict["message"]
    assert "you have 2" in verdict["message"]


def test_verdict_on_a_fast_pipeline_is_compute_bound() -> None:
    """A model whose step (~50 ms here) dwarfs loading its batch from host memory (~1 ms)."""
    result, _ = recorded(spec(knobs={"width": 1024, "depth": 2}, batch_size=128, input_pipeline=True,
                              loader_workers=2, duration_s=4.0, phase_every=3))
    data = result.to_dict()
    assert data["verdict"] is not None, data["phases"]
    assert data["verdict"]["kind"] == "compute-bound", data["phases"]["fraction"]
    assert data["verdict"]["message"].startswith("compute-bound (from ")


# ---- the result ---------------------------------------------------------------------------


def test_phases_round_trip_through_the_result_dict() -> None:
    result = RunResult(spec=spec(), step_times_s=[0.010, 0.011, 0.012])
    result.phase_record = PhaseRecord(10, 0.25, 3, [{"data_wait": 0.001, "forward": 0.003, "backward": 0.005,
                                                     "optimizer": 0.002}] * 2)
    data = result.to_dict()
    again = RunResult.from_dict(data).to_dict()
    assert again["phases"] == data["phases"]
    assert data["phases"]["sampled_steps"] == 3 and data["phases"]["kept_samples"] == 2
    assert data["phases"]["fraction"]["backward"] == pytest.approx(5 / 11)
    assert data["phases"]["overhead"] == pytest.approx(0.011 / 0.011 - 1.0)


def test_a_result_without_phases_reads_as_none() -> None:
    data = RunResult(spec=spec(), step_times_s=[0.01]).to_dict()
    for key in ("phases", "verdict", "trace"):
        del data[key]
    result = RunResult.from_dict(data)
    assert result.phase_record is None and result.trace is None
    assert result.to_dict()["phases"] is None


def test_summary_of_no_samples_is_none() -> None:
    assert phase_summary(None, [0.1]) is None
    assert phase_summary(PhaseRecord(10, 0.25), [0.1]) is None


@pytest.mark.parametrize("bad", [
    {"every_n_steps": 10, "min_interval_s": 0.25, "sampled_steps": 1, "samples": [{"teleport": 0.1}]},
    {"every_n_steps": 10, "min_interval_s": 0.25, "sampled_steps": 1, "samples": [{"forward": -1.0}]},
    {"every_n_steps": "x", "min_interval_s": 0.25, "sampled_steps": 1, "samples": []},
])
def test_bad_phase_records_are_rejected(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        PhaseRecord.from_dict(bad)


@pytest.mark.slow
def test_cli_run_prints_the_split_and_writes_it_to_json(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from profiler.cli import main

    out = tmp_path / "r.json"
    assert main(["run", "--workload", "mlp", "--knob", "width=64", "--knob", "depth=1", "--batch-size", "32",
                 "--threads", "1", "--duration", "3", "--phase-every", "5", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "step phases" in text and "verdict" in text and "compute-bound" in text
    data = json.loads(out.read_text())
    assert data["phases"]["every_n_steps"] == 5 and data["phases"]["sampled_steps"] >= 5  # a verdict needs 5
    assert data["verdict"]["kind"] == "compute-bound"
    assert data["spec"]["phase_every"] == 5
    assert main(["run", "--phase-every", "-1", "--steps", "2"]) == 2
    assert "phase-every must be a whole number from 0 to" in capsys.readouterr().err


def test_the_live_sampling_sentence_says_how_often_and_what_it_costs() -> None:
    from profiler.metrics.phases import live_sampling_sentence

    cpu = live_sampling_sentence(10, accelerator=False)
    assert "up to 4 timed steps a second" in cpu and "nothing waits" in cpu and "stay timed steps" in cpu
    gpu = live_sampling_sentence(25, accelerator=True)
    assert "1 timed step in 25" in gpu and "synchronizes the device" in gpu and "left out of the figures" in gpu
    assert "off" in live_sampling_sentence(0, accelerator=True)
