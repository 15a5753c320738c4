"""LSTM: a recurrent language model (embedding -> stacked nn.LSTM -> linear head).

Sequential over time, so it shows how a device copes with many small dependent matmuls
(and, on CPU, what oneDNN's fused RNN kernel is worth). Next-token prediction on synthetic
sequences with a learnable rule (see ``data.token_batch``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import torch
from torch import nn

from profiler.workloads.base import Workload
from profiler.workloads.gpt import language_model
from profiler.workloads.protocol import ModelWorkload


class LSTMModel(nn.Module):
    """(B, T) int64 tokens -> (B, T, vocab) logits; embedding width equals ``hidden``."""

    def __init__(self, vocab: int, hidden: int, layers: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.lstm = nn.LSTM(hidden, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.embed(tokens))
        return self.head(out)


def build(vocab: int = 1024, hidden: int = 256, layers: int = 2, seq_len: int = 64) -> ModelWorkload:
    """The LSTM's factory (the workload protocol; defaults are size S)."""
    return language_model(LSTMModel(vocab, hidden, layers), vocab, seq_len, "samples")


class LSTM(Workload):
    name = "lstm"
    title = "LSTM (recurrent LM)"
    description = (
        "Stacked LSTM on next-token prediction: a long chain of small, dependent matmuls "
        "that is hard to keep a wide device busy with."
    )
    presets: ClassVar[dict[str, dict[str, int]]] = {
        "S": {"vocab": 1024, "hidden": 256, "layers": 2, "seq_len": 64},
        "M": {"vocab": 8192, "hidden": 512, "layers": 2, "seq_len": 128},
        "L": {"vocab": 16384, "hidden": 1024, "layers": 3, "seq_len": 256},
    }
    default_batch: ClassVar[dict[str, int]] = {"S": 32, "M": 64, "L": 64}
    plain_name: ClassVar[str] = "LSTM language model"

    def plain_detail(self, knobs: Mapping[str, Any]) -> str:
        layers = int(knobs["layers"])
        return f"{layers} layer{'s' if layers != 1 else ''}"
    #: step FLOPs are exactly affine in this knob (see ``flops.count_train_flops``)
    flops_affine_knob: ClassVar[str] = "seq_len"
    knob_help: ClassVar[dict[str, str]] = {
        "vocab": "vocabulary size (token ids and output classes)",
        "hidden": "LSTM hidden size (and embedding width)",
        "layers": "stacked LSTM layers",
        "seq_len": "time steps per training sequence",
    }

    def factory(self, knobs: dict[str, int]) -> ModelWorkload:
        return build(**knobs)


def analytic_train_flops(batch: int, vocab: int, hidden: int, layers: int, seq_len: int) -> int:
    """Forward + backward matmul FLOPs of one LSTM training step (optimizer excluded).

    Counted: per layer and time step the gate matmuls W_ih @ x and W_hh @ h
    (2 * 4h * (h + h) per sample forward), and the vocab head (2 * h * vocab per token).
    Backward is twice forward (dW and dX for every matmul; the embedding output needs grad)
    except the recurrent dX at t=0, where the zero initial state needs no grad.
    Not counted: embedding lookup, gate nonlinearities, bias adds, the loss.
    """
    h = hidden
    tokens = batch * seq_len
    gates_fwd = 2 * tokens * 4 * h * (h + h) * layers
    skipped_dh0 = 2 * batch * 4 * h * h * layers
    head_fwd = 2 * tokens * h * vocab
    return 3 * (gates_fwd + head_fwd) - skipped_dh0
