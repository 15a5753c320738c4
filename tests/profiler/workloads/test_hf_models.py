"""``hf:`` models: built from transformers configs with random weights, nothing downloaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

pytest.importorskip("transformers")

from profiler.workloads.batching import forward_loss
from profiler.workloads.flops import count_on_device, count_train_flops
from profiler.workloads.user import UserWorkload

TINY_GPT2 = {"n_layer": 1, "n_embd": 32, "n_head": 2, "vocab_size": 100, "seq_len": 16}


def gpt2_train_flops(batch: int, seq_len: int, d: int, layers: int, vocab: int) -> int:
    """GPT-2: QKV, attention projection and the 4x MLP (12 d^2 per token and layer), the two
    attention matmuls over the full T x T scores, the tied vocabulary head; backward 2x."""
    tokens = batch * seq_len
    linear = 2 * tokens * d * d * 12 * layers
    attention = 2 * 2 * batch * seq_len * seq_len * d * layers
    head = 2 * tokens * d * vocab
    return 3 * (linear + attention + head)


def test_gpt2_builds_from_its_config_and_trains() -> None:
    workload = UserWorkload("hf:gpt2")
    assert {"n_layer", "n_embd", "n_head", "vocab_size", "seq_len"} <= set(workload.knobs)
    assert workload.knobs["seq_len"].default == 128 and workload.knobs["n_layer"].default == 12
    built = workload.build("cpu", batch_size=2, knobs=TINY_GPT2)
    assert type(built.model).__name__ == "GPT2LMHeadModel"
    batch = built.make_batch()
    assert batch["input_ids"].shape == (2, 16) and batch["input_ids"].dtype == torch.int64
    assert 0 <= int(batch["input_ids"].min()) and int(batch["input_ids"].max()) < 100
    assert built.sample_unit == "sequences" and built.tokens_per_sample == 16
    assert workload.source.library.startswith("transformers ")
    loss = forward_loss(built.model, built.loss_fn, batch)
    assert loss.ndim == 0 and loss.requires_grad


def test_gpt2_flops_are_counted_on_the_device_and_match_the_formula() -> None:
    workload = UserWorkload("hf:gpt2")
    with pytest.raises(RuntimeError, match="meta"):  # transformers' mask helpers read values
        count_train_flops(workload, "S", 2, TINY_GPT2)
    built = workload.build("cpu", batch_size=2, knobs=TINY_GPT2)
    assert count_on_device(built) == gpt2_train_flops(2, 16, 32, 1, 100)


def test_a_documented_checkpoint_name_builds_its_architecture() -> None:
    workload = UserWorkload("hf:bert-base-uncased")
    knobs = workload.knobs
    assert knobs["hidden_size"].default == 768 and knobs["num_hidden_layers"].default == 12
    assert knobs["vocab_size"].default == 30522
    tiny = {"num_hidden_layers": 1, "hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64,
            "vocab_size": 64, "seq_len": 8}
    built = workload.build("cpu", batch_size=2, knobs=tiny)
    assert type(built.model).__name__ == "BertForMaskedLM"
    assert forward_loss(built.model, built.loss_fn, built.make_batch()).ndim == 0
    assert UserWorkload("hf:google-bert/bert-base-uncased").knobs["hidden_size"].default == 768


def test_a_config_file_names_the_model(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"model_type": "gpt2", "n_layer": 2, "n_embd": 48, "n_head": 4,
                                  "vocab_size": 77, "n_positions": 32}))
    workload = UserWorkload(f"hf:{config}")
    assert workload.knobs["n_layer"].default == 2 and workload.knobs["seq_len"].default == 32
    assert workload.title == "config.json (hf)"
    config.write_text(json.dumps({"n_layer": 2}))
    with pytest.raises(Exception, match='needs a "model_type"'):
        UserWorkload(f"hf:{config}").resolve_knobs("S")


def test_an_unknown_name_suggests_close_ones() -> None:
    with pytest.raises(Exception) as info:
        UserWorkload("hf:bert-base-uncasd").resolve_knobs("S")
    message = str(info.value)
    assert message.startswith("unknown hf model 'bert-base-uncasd'") and "bert-base-uncased" in message
    assert "hf:path/to/config.json" in message
