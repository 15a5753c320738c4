"""A model that cannot fit is refused with one line and exit 1 before anything is allocated;
an out-of-memory error inside make_batch starts the batch search like any other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import profiler.runner.fit as fit
from profiler.cli import main
from profiler.devices.discovery import describe_device
from profiler.results.model_ref import model_spec_fields
from profiler.results.result import RunState
from profiler.results.spec import RunSpec
from profiler.runner import run_training
from profiler.runner.fit import DoesNotFit, refusal, short_count
from profiler.runner.model_check import forget_checks
from profiler.runner.model_check_answer import ModelCheck
from profiler.runner.model_check_child import check_one
from profiler.workloads.footprint import Footprint
from tests.paths import TEST_MODELS

MODELS = TEST_MODELS
MIB = 2**20


@pytest.fixture
def small_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process may use 20 MiB (a fake limit; nothing else changes)."""
    monkeypatch.setattr(fit, "usable_memory_bytes", lambda device=None: (20 * MIB, "a test limit"))


@pytest.fixture(autouse=True)
def _fresh_checks() -> Any:
    forget_checks()
    yield
    forget_checks()


def test_refusal_line_names_the_need_the_limit_and_the_largest_model() -> None:
    fp = Footprint(parameters=6_738_415_616, weights_bytes=4 * 6_738_415_616, grads_bytes=4 * 6_738_415_616,
                   optimizer_state_bytes=8 * 6_738_415_616, activations_bytes_per_sample=0.0,
                   activations_measured=False)
    line = refusal("llama (hf)", fp, int(23.5 * 2**30), "the machine's RAM")
    assert line == ("llama (hf) does not fit: needs about 100 GiB for weights, gradients and AdamW state at fp32 "
                    "(6.74B parameters); 23.5 GiB usable (the machine's RAM); largest model of this shape that "
                    "fits: ~1.58B")
    assert refusal("x", fp, 200 * 2**30, "RAM") == ""
    activations = Footprint(10, 40, 40, 80, 1000.0)
    assert "at batch 1 (weights, gradients, AdamW state and activations" in refusal("x", activations, 500, "RAM")
    assert short_count(1_400_000_000) == "1.4B" and short_count(350e6) == "350M" and short_count(12) == "12"


def test_builtin_that_cannot_fit_exits_1_with_one_line(small_machine: None, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    code = main(["run", "--workload", "mlp", "--size", "S", "--steps", "2", "--json", str(out), "--no-history"])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert len(err.splitlines()) == 1
    assert err.startswith("horsepower: error: mlp-S does not fit: needs about 28.4 MiB for weights, gradients and "
                          "AdamW state at fp32 (1.86M parameters); 20 MiB usable (a test limit); largest model")
    assert not out.exists()


def test_a_sweep_of_a_model_that_cannot_fit_exits_1_like_run(small_machine: None, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s.html"
    code = main(["sweep", "--workload", "mlp", "--knob", "batch_size", "--values", "8,16", "--device", "cpu",
                 "--duration", "1", "--html", str(out), "--no-history"])
    err = capsys.readouterr().err.strip()
    assert code == 1  # valid input, too small a machine (exit 2 is for bad input)
    assert len(err.splitlines()) == 1 and "mlp-S does not fit" in err
    assert not out.exists()


def test_builtin_that_fits_at_batch_1_is_not_refused_for_its_batch(small_machine: None) -> None:
    spec = RunSpec(workload="mlp", knobs={"width": 64, "depth": 1}, batch_size=100_000, steps=1)
    with pytest.raises(DoesNotFit):
        run_training(spec.replace(knobs={"width": 2048, "depth": 2}))  # 8.4M parameters: 128 MiB fixed
    from profiler.runner.validate import validate_spec

    validate_spec(spec)  # fits at batch 1; a too-large batch is left to the OOM batch search


def test_check_process_refuses_before_any_allocation(small_machine: None) -> None:
    """wide_reader cannot run on meta, so the check would fall back to building it on the CPU:
    the footprint refuses it first."""
    activities: list[str] = []
    spec = RunSpec(**model_spec_fields("tests.models.wide_reader:build"), steps=1)  # type: ignore[arg-type]
    answer = check_one(spec.replace(knobs={"width": 4096}), activities.append)
    assert answer["does_not_fit"] is True
    assert "does not fit: needs about" in answer["error"] and "(a test limit)" in answer["error"]
    assert not any("on cpu" in a for a in activities), activities  # never built for real


def test_user_model_refusal_reaches_the_cli_as_exit_1(small_machine: None, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import profiler.runner.model_check as model_check

    def in_process(specs: list[RunSpec]) -> list[ModelCheck]:  # the check child's code, without the child
        return [ModelCheck(**check_one(s, lambda _activity: None)) for s in specs]

    monkeypatch.setattr(model_check, "_run_child", in_process)
    out = tmp_path / "r.json"
    code = main(["run", "--model", f"{MODELS / 'tiny_mlp.py'}:build", "--knob", "width=2048", "--knob", "depth=2",
                 "--steps", "2", "--json", str(out), "--no-history"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1
    assert "tiny_mlp.py:build does not fit: needs about" in err and not out.exists()


def test_a_model_that_fits_carries_its_footprint_through_the_check() -> None:
    spec = RunSpec(**model_spec_fields(f"{MODELS / 'tiny_mlp.py'}:build"), steps=1)  # type: ignore[arg-type]
    answer = ModelCheck(**check_one(spec, lambda _activity: None))
    assert answer.ok and answer.footprint is not None
    params = 32 * 16 + 16 + 16 * 4 + 4
    # AdamW's state after one real step: two fp32 moments per parameter plus a 4-byte step
    # counter per parameter tensor (two weights, two biases)
    assert answer.footprint["parameters"] == params
    assert answer.footprint["optimizer_state_bytes"] == 8 * params + 4 * 4
    assert answer.footprint["activations_measured"] and answer.footprint["activations_bytes_per_sample"] > 0


@pytest.mark.parametrize("batch_size", [16, None])  # given, and the factory's own default (16)
def test_oom_inside_make_batch_starts_the_batch_search(batch_size: int | None) -> None:
    spec = RunSpec(**model_spec_fields("tests.models.oom_batch:build"),  # type: ignore[arg-type]
                   batch_size=batch_size, duration_s=0.3, threads=1, warmup_max_steps=3, warmup_max_s=0.5)
    result = run_training(spec, device_info=describe_device("cpu"))
    assert result.status == RunState.OOM, result.error
    assert result.advice is not None
    assert "batch size 16 ran out of memory" in result.advice and "the largest batch that fit was 4" in result.advice
    assert "bf16" not in result.advice and "fix the model" not in result.advice


def test_one_samples_activations_can_decide_the_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    """cnn-S: 4.7 MiB of weights, gradients and AdamW state and 1.2 MiB of activations per image."""
    from profiler.runner.validate import validate_spec

    monkeypatch.setattr(fit, "usable_memory_bytes", lambda device=None: (5 * MIB, "a test limit"))
    with pytest.raises(DoesNotFit, match=r"^cnn-S does not fit: needs about 5.9\d MiB at batch 1 \(weights, "
                                         r"gradients, AdamW state and activations"):
        validate_spec(RunSpec(workload="cnn", size="S", steps=1))
    monkeypatch.setattr(fit, "usable_memory_bytes", lambda device=None: (7 * MIB, "a test limit"))
    validate_spec(RunSpec(workload="cnn", size="S", steps=1))
