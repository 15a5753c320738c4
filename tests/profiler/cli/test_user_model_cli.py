"""``horsepower run/sweep --model``: a user's model on the command line, bad input included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from profiler.cli import main
from profiler.history import HistoryStore
from profiler.metrics.comparison import speedup
from profiler.runner.model_check import forget_checks
from tests.models import tiny_mlp
from tests.paths import TEST_MODELS

MODELS = TEST_MODELS
QUICK = ["--duration", "0.5", "--threads", "1"]


@pytest.fixture(autouse=True)
def _fresh_checks() -> object:
    forget_checks()
    yield
    forget_checks()


def stored_runs() -> list[dict[str, object]]:
    with HistoryStore.open() as store:
        return [r for r in (store.get(i) for i in store.run_ids()) if r is not None]


@pytest.mark.slow
def test_run_model_by_module_is_stored_with_its_reference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    code = main(["run", "--model", "tests.models.tiny_mlp:build", "--knob", "width=8", "--batch-size", "4",
                 *QUICK, "--json", str(out)])
    assert code == 0, capsys.readouterr().err
    data = json.loads(out.read_text())
    assert data["status"] == "completed" and data["workload"] == "user"
    assert data["spec"]["model"] == "tests.models.tiny_mlp:build" and data["spec"]["knobs"] == {"width": 8}
    assert data["flops_per_step"] == tiny_mlp.analytic_train_flops(4, 8, 1)
    summary = capsys.readouterr().out
    assert "tests.models.tiny_mlp:build width=8  batch 4" in summary and "rows/s" in summary
    [stored] = stored_runs()
    assert stored["spec"]["model_hash"] == data["spec"]["model_hash"] != ""  # type: ignore[index]


def _bad(args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    out = tmp_path / "r.json"
    code = main(["run", *args, *QUICK, "--json", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1, err
    assert not out.exists() and stored_runs() == [], "nothing written, nothing started"
    return err


@pytest.mark.parametrize(("args", "fragment"), [
    (["--model", "tests/models/missing.py:build"], "no such file:"),
    (["--model", "tests/models/tiny_mlp.py"], "names no factory: add the function that builds the workload"),
    (["--model", "tests.models.tiny_mlp:build", "--workload", "cnn"], "not both"),
    (["--model", "tests.models.tiny_mlp:build", "--size", "M"], "size your own model with its knobs"),
    (["--model", "no_such_package_here.models:build"], "no module named 'no_such_package_here'"),
    (["--model", "tests/models/broken.py:returns_module"], "returned an nn.Linear, not a workload"),
    (["--model", "tests/models/tiny_mlp.py:build", "--knob", "bogus=2"], "unknown knob 'bogus'"),
    (["--model", "tests/models/tiny_mlp.py:build", "--knob", "width=wide"],
     "tiny_mlp.py:build: knob width takes an integer, got 'wide': give e.g. --knob width=16"),
    (["--model", "tests/models/shapes.py:selector_misses"], "shapes.py:selector_misses: the loss selector 'output[2]' "
                                                            "matches nothing"),
    (["--model", "tests/models/shapes.py:step_returns_none"], "train_step of the workload returned None, not a "
                                                              "tensor: return the step's loss"),
])
def test_bad_models_exit_2_with_one_line(args: list[str], fragment: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert fragment in _bad(args, tmp_path, capsys)


def test_a_factory_that_raises_shows_its_traceback_with_verbose(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    err = _bad(["--model", "tests/models/broken.py:raises"], tmp_path, capsys)
    assert "raises() in broken.py raised: ValueError: width 4 is not supported" in err
    assert err.endswith("; `horsepower -v ...` prints the traceback")
    code = main(["-v", "run", "--model", "tests/models/broken.py:raises", *QUICK, "--no-history"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback (most recent call last)" in err and 'broken.py", line' in err


def test_a_library_that_is_not_installed_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    import profiler.results.model_ref as model_ref

    monkeypatch.setattr(model_ref, "_find_spec", lambda name: None)
    err = _bad(["--model", "torchvision:resnet18"], tmp_path, capsys)
    assert "torchvision: models need the torchvision library, which is not installed here" in err


@pytest.mark.slow
@pytest.mark.skipif(not __import__("importlib").util.find_spec("transformers"), reason="needs transformers")
def test_an_unknown_library_model_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _bad(["--model", "hf:gpt5"], tmp_path, capsys)
    assert "unknown hf model 'gpt5'" in err and "close matches: " in err


@pytest.mark.slow
def test_sweep_a_model_knob_then_compare_its_runs(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sweep", "--model", "tests/models/tiny_mlp.py:build", "--knob", "width", "--values", "8,16",
                 "--device", "cpu", "--duration", "0.5", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    sweep = json.loads(captured.out)
    assert sweep["workload"] == "user" and sweep["model"].endswith("tiny_mlp.py:build")
    assert [p["status"] for p in sweep["points"]] == ["completed", "completed"]
    runs = stored_runs()
    assert sorted(r["spec"]["knobs"]["width"] for r in runs) == [8, 16]  # type: ignore[index]
    narrow, wide = sorted(runs, key=lambda r: r["spec"]["knobs"]["width"])  # type: ignore[index]
    assert "not comparable: different models (tiny_mlp.py:build width=16 vs tiny_mlp.py:build width=8)" == \
        speedup(wide, narrow).reason
    assert speedup(narrow, {**narrow, "run_id": "again"}).kind == "repeat"  # the same model: comparable


def test_sweep_checks_its_knob_against_the_factory(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sweep", "--model", "tests/models/tiny_mlp.py:build", "--knob", "height", "--values", "8",
                 "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 2
    assert "unknown knob 'height' for tiny_mlp.py:build; choose from batch_size, width, depth" in err


@pytest.mark.slow
def test_sweep_a_model_over_batch_size(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sweep", "--model", "tests.models.dict_batch:build", "--knob", "batch_size", "--values", "2,4",
                 "--device", "cpu", "--duration", "0.5", "--no-history"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("tests.models.dict_batch:build sweep over batch_size")
    assert out.count(" cpu ") == 2
