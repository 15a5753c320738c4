"""Workloads shaped like real code, broken in the ways the protocol must name (model checks)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class PairOut(nn.Module):
    """Returns ``(logits, loss)`` from ``forward(x, y)``, as nanoGPT does."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.fc(x)
        return logits, F.cross_entropy(logits, y)


def _batch(device: torch.device, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(batch_size, 8, device=device), torch.randint(0, 4, (batch_size,), device=device)


def selector_misses(rate: float = 0.5) -> dict:
    """A selector past the end of the model's 2-tuple."""
    return {"model": PairOut(), "make_batch": _batch, "forward": ("x", "y"), "loss": "output[2]"}


def step_returns_none() -> dict:
    """A train_step that forgets to return the loss."""
    def train_step(model: nn.Module, batch: tuple[torch.Tensor, ...], optimizer: torch.optim.Optimizer) -> None:
        optimizer.zero_grad()
        model(*batch)[1].backward()
        optimizer.step()

    return {"model": PairOut(), "make_batch": _batch, "train_step": train_step}
