"""A model with a layer FlopCounterMode has no formula for (``nn.Bilinear``: ``aten._trilinear``)."""

import torch
from torch import nn


def build(width: int = 8) -> dict:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.left = nn.Linear(6, width)
            self.mix = nn.Bilinear(width, width, width)
            self.head = nn.Linear(width, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.left(x)
            return self.head(self.mix(h, h))

    def make_batch(device: torch.device, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.randn(batch_size, 6, device=device), torch.randint(0, 3, (batch_size,), device=device)

    return {"model": Net(), "make_batch": make_batch, "loss": nn.functional.cross_entropy, "batch_size": 8}
