"""Checking a user's model before a run: in a child process, one line per bad input."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from profiler.results.model_ref import model_spec_fields
from profiler.results.spec import RunSpec
from profiler.runner import SpecError, model_check, validate_spec
from profiler.runner.model_check import check_models, forget_checks
from tests.paths import TEST_MODELS

MODELS = TEST_MODELS


def spec(ref: str, **fields: object) -> RunSpec:
    return RunSpec(**model_spec_fields(ref), duration_s=1.0, **fields)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _fresh_cache() -> object:
    forget_checks()
    yield
    forget_checks()


BAD = [  # (reference, knobs, what the one line must say, whether it carries the user's traceback)
    ("broken.py:raises", {}, "raises() in broken.py raised: ValueError: width 4 is not supported", True),
    ("broken.py:returns_module", {}, "returns_module() in broken.py returned an nn.Linear, not a workload", False),
    ("broken.py:shape_mismatch", {}, "a batch from make_batch does not run through the model: RuntimeError: "
                                     "mat1 and mat2 shapes cannot be multiplied", True),
    ("broken.py:not_scalar_loss", {}, "the loss must be a scalar tensor, got shape (32,)", True),
    ("broken.py:no_loss", {}, "carries no loss: give the workload a loss(output, target)", True),
    ("broken.py:needs_argument", {}, "parameter 'width' with no default", False),
    ("broken.py:nope", {}, "broken.py has no 'nope' (functions there: hangs, make_batch,", False),
    ("broken.py:NOT_A_FUNCTION", {}, "NOT_A_FUNCTION in broken.py is int, not a function", False),
    ("not_importable.py:build", {}, "not_importable.py does not import: ModuleNotFoundError: No module named "
                                    "'a_package_that_does_not_exist'", True),
    ("tiny_mlp.py:build", {"bogus": 3}, "tiny_mlp.py:build: unknown knob 'bogus'; choose from width, depth",
     False),
    ("tiny_mlp.py:build", {"width": "wide"}, "tiny_mlp.py:build: knob width takes an integer, got 'wide': give e.g. "
                                             "--knob width=16", False),
    ("shapes.py:selector_misses", {"rate": True}, "knob rate takes a number, got 'True'", False),
    ("shapes.py:selector_misses", {}, "shapes.py:selector_misses: the loss selector 'output[2]' matches nothing: "
                                      "output is a tuple of 2 (Tensor, Tensor); fix \"loss\"", True),
    ("shapes.py:step_returns_none", {}, "shapes.py:step_returns_none: train_step of the workload returned None, not "
                                        "a tensor: return the step's loss", True),
]


def test_every_bad_model_gets_one_line_from_one_check_process() -> None:
    specs = [spec(str(MODELS / ref), knobs=knobs) for ref, knobs, _, _ in BAD]
    checks = check_models([*specs, spec(str(MODELS / "tiny_mlp.py:build"))])
    for (ref, _, fragment, has_details), check in zip(BAD, checks, strict=False):
        assert not check.ok, ref
        assert fragment in check.error, (ref, check.error)
        assert "\n" not in check.error
        assert bool(check.details) == has_details, (ref, check.details)
        if has_details:
            assert "Traceback (most recent call last)" in check.details
        if ref.startswith(("broken.py:raises", "not_importable")):
            assert str(MODELS) in check.details, "the traceback points at the user's file"
    good = checks[-1]
    assert good.ok and good.checked_on == "meta" and good.params == 16 * 32 + 16 + 16 * 4 + 4
    assert good.knobs == {"width": 16, "depth": 1, "note": "unused"} and good.knob_help["width"] == "hidden units"
    assert good.knob_kinds == {"width": "int", "depth": "int", "note": "str"}
    params = 16 * 32 + 16 + 16 * 4 + 4  # AdamW: two fp32 moments per weight and a step counter per tensor
    assert good.optimizer == "AdamW (Horsepower's default)"
    assert good.footprint is not None and good.footprint["optimizer_state_bytes"] == 2 * 4 * params + 4 * 4
    assert (good.batch_size, good.sample_unit) == (8, "rows")
    user_code = [c for (_, _, _, details), c in zip(BAD, checks, strict=False) if details]
    assert all("docs/YOUR_MODEL.md" in c.error for c in user_code), "messages name the protocol"


def test_a_hanging_factory_is_stopped_with_its_stack() -> None:
    start = time.perf_counter()
    [check] = check_models([spec(str(MODELS / "broken.py:hangs"), build_timeout_s=2.0)])
    assert time.perf_counter() - start < 60
    assert check.error.startswith("broken.py:hangs: building broken.py:hangs on meta did not finish within 2 s")
    assert "broken.py" in check.details and "in hangs" in check.details


def test_a_factory_that_crashes_natively_fails_the_check_not_the_caller() -> None:
    [check] = check_models([spec(str(MODELS / "crashes.py:crashes_when_built"))])
    assert "the model crashed the check process (SIGABRT) while building crashes.py:crashes_when_built" in check.error
    assert "crashes.py" in check.details and "in crashes_when_built" in check.details


def test_a_passing_check_is_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    good = spec("tests.models.tiny_mlp:build", batch_size=4)
    assert check_models([good])[0].ok
    monkeypatch.setattr(model_check, "_run_child", lambda specs: pytest.fail("checked twice"))
    assert model_check.check_model(good.replace(batch_size=16)).ok  # batch size does not change the model


def test_validation_raises_one_line_with_the_traceback_in_details() -> None:
    with pytest.raises(SpecError) as info:
        validate_spec(spec(str(MODELS / "broken.py:raises")))
    assert "ValueError: width 4 is not supported" in str(info.value)
    assert "Traceback (most recent call last)" in info.value.details
    with pytest.raises(SpecError, match="has no host_dataset"):
        validate_spec(spec("tests.models.tiny_mlp:build", input_pipeline=True))
    assert validate_spec(spec("tests.models.tiny_mlp:build")).id == "cpu"


def test_validation_catches_a_changed_file_and_a_bad_reference(tmp_path: Path) -> None:
    copy = tmp_path / "model.py"
    shutil.copy(MODELS / "tiny_mlp.py", copy)
    fields = model_spec_fields(f"{copy}:build")
    with copy.open("a") as fh:
        fh.write("\n# edited\n")
    with pytest.raises(SpecError, match="changed since this run was set up"):
        validate_spec(RunSpec(**fields))
    with pytest.raises(SpecError, match="names no factory"):
        validate_spec(RunSpec(workload="user", model=str(copy)))
    with pytest.raises(SpecError, match="model_hash is empty"):
        validate_spec(RunSpec(workload="user", model=f"{copy}:build"))
    with pytest.raises(SpecError, match="no such file"):
        validate_spec(RunSpec(workload="user", model=f"{tmp_path / 'gone.py'}:build", model_hash="0"))
    with pytest.raises(SpecError, match="its workload must be 'user'"):
        validate_spec(RunSpec(workload="mlp", model="hf:gpt2"))
    assert os.path.exists(copy)
