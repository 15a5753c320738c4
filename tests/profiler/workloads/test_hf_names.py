"""``hf:`` names build what they say: offline checkpoints, knobs in the config, the architecture."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

pytest.importorskip("transformers")

from profiler.results.model_ref import model_spec_fields
from profiler.results.spec import RunSpec
from profiler.runner.model_check import check_models, forget_checks
from profiler.workloads.hf_names import checkpoints, size_of
from profiler.workloads.protocol import WorkloadError
from profiler.workloads.user import UserWorkload
from tests.paths import REPO_ROOT

REPO = REPO_ROOT


def built_params(name: str, **knobs: object) -> tuple[int, str]:
    built = UserWorkload(f"hf:{name}").build("meta", knobs=knobs)
    return built.params, built.architecture


def test_every_offline_checkpoint_builds_its_published_size() -> None:
    rows = {c.name: c for c in checkpoints().values()}
    assert {"distilgpt2", "facebook/opt-125m", "EleutherAI/pythia-70m", "EleutherAI/pythia-160m", "t5-small",
            "facebook/bart-base", "roberta-base", "google/vit-base-patch16-224", "bert-base-uncased",
            "microsoft/swin-tiny-patch4-window7-224", "bert-large-uncased", "microsoft/resnet-50",
            "google/efficientnet-b0", "google/mobilenet_v2_1.0_224"} <= set(rows)
    for row in rows.values():
        assert row.source.startswith("https://huggingface.co/") and row.source.endswith("/config.json")
        params, line = built_params(row.name)
        published = size_of(row.published_params)
        assert published and abs(params - published) / published < 0.02, (row.name, params, row.published_params)
        assert f"{params / 1e6:.1f}M parameters" in line
    assert built_params("distilgpt2")[1] == "GPT2LMHeadModel: 6 layers, width 768, 12 heads of 64, 81.9M parameters"
    assert "125.2M parameters" in built_params("facebook/opt-125m")[1]
    assert "GPTNeoXForCausalLM: 6 layers, width 512, 8 heads of 64" in built_params("EleutherAI/pythia-70m")[1]
    assert built_params("microsoft/swin-tiny-patch4-window7-224")[1].startswith("SwinForImageClassification")


def test_knobs_are_applied_when_the_config_is_built_so_derived_fields_follow() -> None:
    workload = UserWorkload("hf:llama")
    built = workload.build("meta", knobs={"hidden_size": 512, "num_attention_heads": 8, "num_hidden_layers": 2,
                                          "intermediate_size": 1024, "vocab_size": 1000})
    assert built.model.config.head_dim == 64  # 512 / 8, not the default's 128
    assert "2 layers, width 512, 8 heads of 64, feed-forward 1024" in built.architecture
    assert workload.knobs["attention_dropout"].kind == "float"  # float fields are knobs too


def test_a_model_of_several_towers_says_which_part_trains() -> None:
    assert "trains the decoder of whisper only" in built_params("whisper", decoder_layers=1, encoder_layers=1)[1]
    assert "trains the vision tower of clip only" in UserWorkload("hf:clip").build(
        "meta", knobs={"num_labels": 10}).architecture


def test_unknown_names_get_close_matches_by_family_and_size() -> None:
    with pytest.raises(WorkloadError) as info:
        _ = UserWorkload("hf:EleutherAI/pythia-1b").source
    assert "close matches: EleutherAI/pythia-410m (405.3M), EleutherAI/pythia-160m" in str(info.value)


def test_t5_small_trains_offline() -> None:
    forget_checks()
    knobs = {"num_layers": 1, "d_model": 32, "d_ff": 64, "num_heads": 2, "d_kv": 16, "vocab_size": 100,
             "seq_len": 8}
    spec = RunSpec(**model_spec_fields("hf:t5-small"), knobs=knobs, duration_s=1.0)  # type: ignore[arg-type]
    check = check_models([spec])[0]
    forget_checks()
    assert check.ok, check.error
    assert check.architecture.startswith("T5ForConditionalGeneration: 1 encoder + 1 decoder layers")
    assert check.loss_source == "output.loss"


BROKEN_TORCHVISION = '''
__version__ = "0.22.0+cu121"
raise RuntimeError("operator torchvision::nms does not exist")
'''

PROBE = '''
from profiler.workloads.loading import LibraryError
from profiler.workloads.user import UserWorkload
built = UserWorkload("hf:gpt2").build("meta", knobs={"n_layer": 1, "n_embd": 32, "n_head": 2})
print("HF", built.architecture)
try:
    _ = UserWorkload("torchvision:resnet18").source
except LibraryError as exc:
    print("TV", exc)
'''


@pytest.mark.slow
def test_a_broken_torchvision_is_named_and_never_breaks_hf(tmp_path: Path) -> None:
    fake = tmp_path / "site"
    (fake / "torchvision").mkdir(parents=True)
    (fake / "torchvision" / "__init__.py").write_text(BROKEN_TORCHVISION)
    meta = fake / "torchvision-0.22.0+cu121.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: torchvision\nVersion: 0.22.0+cu121\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(fake), str(REPO)])}
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(PROBE)], env=env, capture_output=True, text=True,
                         timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    assert lines["HF"].startswith("GPT2LMHeadModel: 1 layer, width 32")
    assert lines["TV"].startswith("torchvision: torchvision 0.22.0+cu121 does not import beside torch ")
    assert "operator torchvision::nms does not exist" in lines["TV"]
    if torch.version.cuda is None:
        assert "a CUDA build (cu121) beside a CPU-only torch" in lines["TV"]
    assert "fix: install the torchvision build made for torch" in lines["TV"]
