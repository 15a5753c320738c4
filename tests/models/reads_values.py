"""A model whose forward reads a tensor's value, so it cannot run on the meta device: its
check and FLOP count fall back to the real device. Uses SDPA, which the CPU flop counter only
sees under the MATH backend."""

import torch
import torch.nn.functional as F
from torch import nn

DIM, SEQ = 16, 8


class ValueReader(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.qkv = nn.Linear(DIM, 3 * DIM)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if float(x.abs().max()) > 1e6:  # reads a value: no meta tensor has one
            x = x / 1e6
        q, k, v = self.qkv(x).unsqueeze(1).split(DIM, dim=-1)
        return F.scaled_dot_product_attention(q, k, v).squeeze(1).mean()


def analytic_train_flops(batch: int) -> int:
    """qkv Linear (input needs no grad: forward + dW) and SDPA's two matmuls (forward + both grads)."""
    linear = 2 * batch * SEQ * DIM * 3 * DIM
    attention = 2 * 2 * batch * SEQ * SEQ * DIM
    return 2 * linear + 3 * attention


def build() -> dict:
    def make_batch(device: torch.device, batch_size: int) -> torch.Tensor:
        return torch.randn(batch_size, SEQ, DIM, device=device)

    return {"model": ValueReader(), "make_batch": make_batch, "batch_size": 4}
