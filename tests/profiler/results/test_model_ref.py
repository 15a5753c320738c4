"""How a user's model is named: references parse, label, hash and check without running code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from profiler.metrics.comparison import model_identity, model_title, speedup
from profiler.results.model_ref import (
    FILE,
    LIBRARY,
    MODULE,
    ModelRefError,
    check_reference,
    model_hash,
    model_spec_fields,
    parse_model_ref,
    sha256_file,
)
from profiler.results.spec import RunSpec
from tests.paths import TEST_MODELS

MODELS = TEST_MODELS


def test_the_three_forms_parse() -> None:
    file_ref = parse_model_ref("tests/models/tiny_mlp.py:build", base_dir="/repo")
    assert (file_ref.kind, file_ref.target, file_ref.factory) == (FILE, "/repo/tests/models/tiny_mlp.py", "build")
    assert file_ref.label == "tiny_mlp.py:build"
    assert file_ref.text == "/repo/tests/models/tiny_mlp.py:build"
    module = parse_model_ref("mypkg.models:make")
    assert (module.kind, module.target, module.factory, module.label) == (MODULE, "mypkg.models", "make",
                                                                          "mypkg.models:make")
    for text, library, name in [("hf:gpt2", "hf", "gpt2"), ("timm:resnet18", "timm", "resnet18"),
                                ("torchvision:resnet18", "torchvision", "resnet18"),
                                ("hf:google-bert/bert-base-uncased", "hf", "google-bert/bert-base-uncased")]:
        ref = parse_model_ref(text)
        assert (ref.kind, ref.library, ref.target, ref.text) == (LIBRARY, library, name, text)
        assert not ref.is_config_file
    assert parse_model_ref("hf:gpt2").label == "gpt2 (hf)"


def test_an_hf_config_file_is_a_path(tmp_path: Path) -> None:
    config = tmp_path / "my_config.json"
    config.write_text('{"model_type": "gpt2", "n_layer": 1}')
    ref = parse_model_ref("hf:my_config.json", base_dir=str(tmp_path))
    assert ref.is_config_file and ref.target == str(config)
    assert ref.label == "my_config.json (hf)"
    assert model_hash(ref) == sha256_file(str(config))


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "--model needs a reference"),
    ("model.py", "names no factory: add the function that builds the workload after a colon, e.g. model.py:build"),
    ("pkg.models", "e.g. pkg.models:build (the workload protocol: docs/YOUR_MODEL.md)"),
    ("model.py:not-an-identifier", "names no factory"),
    ("hf:", "hf: needs a model name after the colon, e.g. hf:gpt2"),
    ("my model:build", "neither a Python file (path/to/file.py:build) nor an importable module"),
])
def test_bad_references_say_what_is_expected(text: str, fragment: str) -> None:
    with pytest.raises(ModelRefError) as info:
        parse_model_ref(text)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_static_checks_run_no_user_code(tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    model = tmp_path / "model.py"
    model.write_text(f"open({str(marker)!r}, 'w').write('ran')\ndef build():\n    return {{}}\n")
    fields = model_spec_fields(str(model) + ":build")
    assert fields == {"workload": "user", "model": f"{model}:build", "model_hash": sha256_file(str(model))}
    assert not marker.exists(), "parsing and hashing must not import the file"
    with pytest.raises(ModelRefError, match="no such file"):
        model_spec_fields(str(tmp_path / "missing.py") + ":build")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ModelRefError, match="not a Python file"):
        check_reference(parse_model_ref(str(tmp_path / "notes.txt") + ":build"))
    with pytest.raises(ModelRefError, match="no module named 'surely_not_a_module_here'"):
        model_spec_fields("surely_not_a_module_here.models:build")


def test_a_missing_library_is_named_with_its_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import profiler.results.model_ref as model_ref

    monkeypatch.setattr(model_ref, "_find_spec", lambda name: None)
    with pytest.raises(ModelRefError) as info:
        model_spec_fields("timm:resnet18")
    assert str(info.value) == "timm: models need the timm library, which is not installed here (pip install timm)"


def test_a_module_is_hashed_by_its_source_file_without_importing_it() -> None:
    fields = model_spec_fields("tests.models.tiny_mlp:build")
    assert fields["model_hash"] == sha256_file(str(MODELS / "tiny_mlp.py"))
    assert "tests.models.broken" not in __import__("sys").modules


def test_spec_title_and_old_specs() -> None:
    spec = RunSpec(workload="user", model="hf:gpt2", batch_size=8)
    assert spec.is_user_model and spec.title == "gpt2 (hf) bs8 fp32 on cpu"
    assert RunSpec(workload="mlp", batch_size=256).title == "mlp-S bs256 fp32 on cpu"
    old = {"workload": "mlp", "device": "cpu", "size": "S", "knobs": {}}  # written before model fields existed
    loaded = RunSpec.from_dict(old)
    assert (loaded.model, loaded.model_hash) == ("", "")


def _run(model: str, digest: str, knobs: dict[str, int] | None = None, run_id: str = "a",
         device: str = "cpu") -> dict[str, object]:
    spec = RunSpec(workload="user", model=model, model_hash=digest, knobs=knobs or {}, device=device)
    return {"run_id": run_id, "status": "completed", "samples_per_s": 100.0, "device": device,
            "workload": "user", "size": "S", "precision": "fp32", "batch_size": 8, "spec": spec.to_dict(),
            "environment": {"hostname": "h"}}


def test_compare_treats_the_same_model_as_comparable() -> None:
    a = _run("/home/me/model.py:build", "abc", {"width": 64}, "a")
    moved = _run("/tmp/elsewhere/model.py:build", "abc", {"width": 64}, "b")  # same bytes, another folder
    assert model_identity(a) == model_identity(moved) == ("abc", "build")
    assert speedup(a, moved).kind == "repeat"
    assert speedup(a, _run("/home/me/model.py:build", "abc", {"width": 64}, "c", device="cuda:0")).kind == "device"
    edited = _run("/home/me/model.py:build", "def", {"width": 64}, "d")
    assert "different models" in speedup(a, edited).reason
    assert "different models (model.py:build width=64 vs model.py:build width=128)" in speedup(
        a, _run("/home/me/model.py:build", "abc", {"width": 128}, "e")).reason
    assert speedup(_run("hf:gpt2", "", None, "f"), _run("hf:gpt2", "", None, "g")).kind == "repeat"
    assert "different models (hf:gpt2 vs hf:bert)" in speedup(_run("hf:gpt2", "", None, "h"),
                                                                _run("hf:bert", "", None, "i")).reason
    builtin = {**_run("x", "", None, "j"), "workload": "mlp", "spec": RunSpec(workload="mlp").to_dict()}
    assert "different workloads (user vs mlp)" in speedup(a, builtin).reason
    assert model_title(builtin) == "mlp-S"


def test_model_file_paths_are_absolute(tmp_path: Path) -> None:
    os.makedirs(tmp_path / "sub")
    ref = parse_model_ref("sub/m.py:build", base_dir=str(tmp_path))
    assert os.path.isabs(ref.target)
