"""A model that computes its own loss: ``forward(x, y)`` returns a scalar.

The batch's items go to ``forward`` by name (``"forward": ("x", "y")``) and, with no
``loss``, a scalar output is the loss. A selector says where the loss is when Horsepower
should not guess: ``"loss": "output"`` here, ``"output[1]"``, ``"output.loss"`` or
``'output["loss"]'`` elsewhere (a path, never evaluated as Python)::

    horsepower run --model examples/returns_loss.py:build
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Regressor(nn.Module):
    def __init__(self, features: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(features, hidden), nn.SiLU(), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(self.net(x).squeeze(-1), y)


def build(features: int = 64, hidden: int = 256) -> dict:
    def make_batch(device: torch.device, batch_size: int):
        return torch.randn(batch_size, features, device=device), torch.randn(batch_size, device=device)

    return {"model": Regressor(features, hidden), "make_batch": make_batch, "forward": ("x", "y"),
            "loss": "output"}
