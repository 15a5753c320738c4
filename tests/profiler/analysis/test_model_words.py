"""Presentation headlines name the model in plain words ("a small multilayer perceptron"),
never the house's "mlp-S"; the busy-machine wording stays."""

from __future__ import annotations

from typing import Any

import pytest

from profiler.analysis.headline import headline
from profiler.analysis.model_words import article, model_words
from profiler.metrics.contention import NOT_CAPABILITY
from tests.helpers import fabricated
from tests.profiler.metrics.test_contention import measured


def test_each_built_in_workload_is_described_from_its_module():
    assert model_words(fabricated("a").to_dict()) == "a small multilayer perceptron (2 hidden layers of 1024)"
    assert model_words(fabricated("b", workload="gpt").to_dict()) == "a small GPT-style transformer (4 layers)"
    assert model_words(fabricated("c", workload="cnn", size="L").to_dict()) == \
        "a large ResNet-style image classifier (ResNet-20)"
    assert model_words(fabricated("d", workload="lstm", size="M").to_dict()) == \
        "a medium-sized LSTM language model (2 layers)"
    # knob overrides: the size word would no longer be true; the detail follows the knobs
    wide = fabricated("e", workload="gpt", knobs={"n_layers": 1}).to_dict()
    assert model_words(wide) == "a GPT-style transformer (1 layer)"
    assert article("LSTM model") == "an" and article("image") == "an" and article("ResNet") == "a"


def test_a_user_model_is_named_by_its_label_and_the_architecture_it_stored():
    hf = fabricated("h", workload="user", model="hf:gpt2").to_dict()
    hf["architecture"] = "GPT2LMHeadModel: 12 layers, width 768, 12 heads of 64, 124.4M parameters"
    assert model_words(hf) == "gpt2 from Hugging Face (GPT2LMHeadModel, 12 layers)"
    own = fabricated("u", workload="user", model="/tmp/slow_model.py:build").to_dict()
    assert model_words(own) == "your model slow_model.py:build"


def test_the_plain_headline_has_no_jargon_and_the_default_keeps_the_names():
    gpu = fabricated("gpu", "cuda:0", step_s=0.005, workload="gpt")
    gpu.device_info = {"name": "NVIDIA H200"}
    cpu = fabricated("cpu", "cpu", step_s=0.02, workload="gpt")
    runs = [r.to_dict() for r in (gpu, cpu)]
    plain = headline(runs, plain=True)
    assert plain is not None and "gpt-S" not in plain.sentence
    assert plain.sentence.startswith("NVIDIA H200 is 4.00× faster than this CPU on a small GPT-style transformer")
    assert headline(runs) is not None and "on gpt-S" in headline(runs).sentence  # reports keep the names
    alone = headline([runs[1]], plain=True)
    assert alone is not None
    assert alone.sentence.startswith("This CPU trains a small GPT-style transformer (4 layers) at")
    faster = fabricated("bf", "cpu", step_s=0.01, precision="bf16").to_dict()
    base = fabricated("fp", "cpu", step_s=0.02).to_dict()
    settings = headline([faster, base], plain=True)
    assert settings is not None and "mlp-S" not in settings.sentence
    assert settings.sentence.endswith("training a small multilayer perceptron (2 hidden layers of 1024)")


@pytest.mark.contention  # keeps the engine's busy threshold (tests/conftest.py)
def test_the_busy_machine_wording_stays_in_plain_words(monkeypatch: pytest.MonkeyPatch) -> None:
    busy: dict[str, Any] = measured("busy", 60.0, monkeypatch)
    line = headline([busy], plain=True)
    assert line is not None and line.contended and NOT_CAPABILITY in line.sentence
    assert line.sentence.startswith("A small multilayer perceptron (2 hidden layers of 1024) on ")
    assert "mlp-S" not in line.sentence and "trains" not in line.sentence


def test_an_input_bound_run_is_headlined_by_its_wait_not_its_share_of_the_peak() -> None:
    run = fabricated("slow-loader", "cpu", step_s=0.02).to_dict()
    run["mfu"] = 0.017
    assert "1.7% of its hardware peak" in headline([run]).sentence  # type: ignore[union-attr]
    run["verdict"] = {"kind": "input-bound", "message": "input-bound (from 26 sampled steps): ...",
                      "input_fraction": 0.89, "device_wait_share": None, "samples": 26}
    line = headline([run])
    assert line is not None and "hardware peak" not in line.sentence
    assert line.sentence.endswith("(input-bound: 89% of each step waits for data)")
