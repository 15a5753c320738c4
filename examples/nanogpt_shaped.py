"""A GPT written the way nanoGPT writes it (github.com/karpathy/nanoGPT, model.py): the
targets go into ``forward(idx, targets)`` and it returns ``(logits, loss)``.

Nothing is rewritten for Horsepower: ``"forward": ("idx", "targets")`` passes both items of
the batch to the model by name, and with no ``loss`` Horsepower finds the loss in the
``(logits, loss)`` tuple itself (``output[1]``; the run says so)::

    horsepower run --model examples/nanogpt_shaped.py:build --knob n_layer=2 --knob dropout=0.0
"""

from __future__ import annotations

import math
from typing import Annotated

import torch
import torch.nn.functional as F
from torch import nn


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd: int, n_head: int, dropout: float, bias: bool) -> None:
        super().__init__()
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=bias)
        self.c_proj = nn.Linear(n_embd, n_embd, bias=bias)
        self.n_head, self.dropout = n_head, dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.n_head, c // self.n_head).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))


class Block(nn.Module):
    def __init__(self, n_embd: int, n_head: int, dropout: float, bias: bool) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd, bias=bias)
        self.attn = CausalSelfAttention(n_embd, n_head, dropout, bias)
        self.ln_2 = nn.LayerNorm(n_embd, bias=bias)
        self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd, bias=bias), nn.GELU(),
                                 nn.Linear(4 * n_embd, n_embd, bias=bias), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab_size: int, block_size: int, n_layer: int, n_head: int, n_embd: int,
                 dropout: float, bias: bool) -> None:
        super().__init__()
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.drop = nn.Dropout(dropout)
        self.h = nn.ModuleList(Block(n_embd, n_head, dropout, bias) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd, bias=bias)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.wte.weight = self.lm_head.weight  # weight tying, as nanoGPT does
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        pos = torch.arange(idx.size(1), device=idx.device)
        x = self.drop(self.wte(idx) + self.wpe(pos))
        for block in self.h:
            x = block(x)
        x = self.ln_f(x)
        if targets is None:  # inference: the last position only (nanoGPT's optimisation)
            return self.lm_head(x[:, [-1], :]), None
        logits = self.lm_head(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss


def build(n_layer: Annotated[int, "transformer blocks"] = 4, n_head: int = 4, n_embd: int = 128,
          block_size: Annotated[int, "tokens per sequence"] = 128, vocab_size: int = 512,
          dropout: Annotated[float, "dropout probability"] = 0.0, bias: bool = True) -> dict:
    model = GPT(vocab_size, block_size, n_layer, n_head, n_embd, dropout, bias)

    def make_batch(device: torch.device, batch_size: int):
        idx = torch.randint(0, vocab_size, (batch_size, block_size + 1), device=device)
        return idx[:, :-1].contiguous(), idx[:, 1:].contiguous()  # inputs and next-token targets

    return {"model": model, "make_batch": make_batch, "forward": ("idx", "targets"),
            "sample_unit": "sequences", "tokens_per_sample": block_size, "batch_size": 8}
