"""GPT: a small causal transformer language model (GPT-2 shaped, pre-LN).

Token + learned position embeddings, ``n_layers`` pre-LayerNorm blocks of causal
self-attention (``scaled_dot_product_attention(is_causal=True)``) and a 4x GELU MLP, a final
LayerNorm and an untied vocabulary head (a tied head learns the synthetic rule far more
slowly; the FLOPs are the same either way). Trained on next-token prediction over
synthetic sequences with a learnable rule (see ``data.token_batch``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from profiler.workloads.base import Workload, WorkloadError
from profiler.workloads.data import token_batch, token_dataset
from profiler.workloads.protocol import ModelWorkload


class CausalSelfAttention(nn.Module):
    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        shape = (b, t, self.n_heads, d // self.n_heads)
        q, k, v = (z.view(shape).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_heads)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPTModel(nn.Module):
    """(B, T) int64 tokens -> (B, T, vocab) logits."""

    def __init__(self, vocab: int, d_model: int, n_layers: int, n_heads: int, seq_len: int) -> None:
        super().__init__()
        self.tok_emb = nn.Embedding(vocab, d_model)
        self.pos_emb = nn.Embedding(seq_len, d_model)
        self.blocks = nn.ModuleList(Block(d_model, n_heads) for _ in range(n_layers))
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab, bias=False)
        nn.init.normal_(self.tok_emb.weight, std=0.02)
        nn.init.normal_(self.pos_emb.weight, std=0.02)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(tokens.shape[1], device=tokens.device)
        x = self.tok_emb(tokens) + self.pos_emb(pos)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


def lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy of (B, T, V) logits against (B, T) targets."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def language_model(model: nn.Module, vocab: int, seq_len: int, sample_unit: str) -> ModelWorkload:
    """A next-token model (GPT, LSTM) on synthetic token sequences, with ``lm_loss``."""

    def make_batch(device: torch.device, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        return token_batch(vocab, seq_len, batch_size, device)

    return ModelWorkload(
        model=model,
        make_batch=make_batch,
        loss=lm_loss,
        sample_unit=sample_unit,
        tokens_per_sample=seq_len,
        host_dataset=lambda n: token_dataset(vocab, seq_len, n),
    )


def build(vocab: int = 4096, d_model: int = 256, n_layers: int = 4, n_heads: int = 4,
          seq_len: int = 128) -> ModelWorkload:
    """The GPT's factory (the workload protocol; defaults are size S)."""
    if d_model % n_heads:
        raise WorkloadError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
    return language_model(GPTModel(vocab, d_model, n_layers, n_heads, seq_len), vocab, seq_len, "sequences")


class GPT(Workload):
    name = "gpt"
    title = "GPT (causal transformer LM)"
    description = (
        "Decoder-only transformer on next-token prediction: matmuls plus attention, "
        "LayerNorm and a vocabulary-sized head."
    )
    sample_unit = "sequences"
    presets: ClassVar[dict[str, dict[str, int]]] = {
        "S": {"vocab": 4096, "d_model": 256, "n_layers": 4, "n_heads": 4, "seq_len": 128},
        "M": {"vocab": 16384, "d_model": 512, "n_layers": 8, "n_heads": 8, "seq_len": 256},
        "L": {"vocab": 32768, "d_model": 1024, "n_layers": 16, "n_heads": 16, "seq_len": 512},
    }
    default_batch: ClassVar[dict[str, int]] = {"S": 16, "M": 16, "L": 8}
    plain_name: ClassVar[str] = "GPT-style transformer"

    def plain_detail(self, knobs: Mapping[str, Any]) -> str:
        layers = int(knobs["n_layers"])
        return f"{layers} layer{'s' if layers != 1 else ''}"
    knob_help: ClassVar[dict[str, str]] = {
        "vocab": "vocabulary size (token ids and output classes)",
        "d_model": "embedding width of every layer (divisible by n_heads)",
        "n_layers": "transformer blocks",
        "n_heads": "attention heads per block",
        "seq_len": "tokens per training sequence (context length)",
    }

    def factory(self, knobs: dict[str, int]) -> ModelWorkload:
        return build(**knobs)


def analytic_train_flops(
    batch: int, vocab: int, d_model: int, n_layers: int, n_heads: int, seq_len: int,
    attention: bool = True,
) -> int:
    """Forward + backward matmul FLOPs of one GPT training step (optimizer excluded).

    Counted: every Linear (QKV, attention output, MLP 4x up and down, the vocab head) at
    2*M*N*K per matmul, and, with ``attention``, the two attention matmuls (Q@K^T and P@V)
    over the full T x T score matrix (the causal half is not subtracted, as FlopCounterMode
    counts it). Every matmul input needs grad (embeddings are trained), so backward is
    exactly twice forward. Not counted: embeddings, LayerNorm, GELU, softmax, residual adds,
    the loss. ``n_heads`` does not change the count.
    """
    tokens = batch * seq_len
    linear = 2 * tokens * d_model * d_model * (3 + 1 + 4 + 4) * n_layers
    attn = 2 * 2 * batch * seq_len * seq_len * d_model * n_layers if attention else 0
    head = 2 * tokens * d_model * vocab
    return 3 * (linear + attn + head)
