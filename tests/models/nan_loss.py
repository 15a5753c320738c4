"""A model whose loss is NaN at every real step (a diverged run): the run still ends with a
summary, a JSON and an exportable result, flagged."""

import torch
from torch import nn


class Diverged(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x) * float("nan")


def build() -> dict:
    def make_batch(device: torch.device, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.randn(batch_size, 8, device=device), torch.randint(0, 2, (batch_size,), device=device)

    return {"model": Diverged(), "make_batch": make_batch, "loss": nn.functional.cross_entropy}
