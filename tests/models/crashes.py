"""A model that crashes natively (abort) on its third real forward: the check (on meta)
passes, the worker dies mid-warm-up."""

import os

import torch
from torch import nn

CALLS = {"n": 0}


class Crashy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.device.type != "meta":
            CALLS["n"] += 1
            if CALLS["n"] >= 3:
                os.abort()
        return self.linear(x)


def build() -> dict:
    def make_batch(device: torch.device, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.randn(batch_size, 8, device=device), torch.randint(0, 2, (batch_size,), device=device)

    return {"model": Crashy(), "make_batch": make_batch, "loss": nn.functional.cross_entropy}


def crashes_when_built() -> dict:
    os.abort()


class RaisesLater(nn.Module):
    """Raises from its forward on the fifth real call: the run fails with this traceback."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(8, 2)
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.device.type != "meta":
            self.calls += 1
            if self.calls >= 5:
                raise ValueError("my model broke at call 5")
        return self.linear(x)


def raises_later() -> dict:
    parts = build()
    parts["model"] = RaisesLater()
    return parts
