"""A model whose forward reads a value (so it cannot run on meta) and whose size is a knob."""

import torch
from torch import nn


def build(width: int = 64) -> dict:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = nn.Linear(width, width)
            self.head = nn.Linear(width, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if float(x.abs().max()) > 1e6:  # reads a value: no meta tensor has one
                x = x / 1e6
            return self.head(torch.relu(self.inner(x)))

    def make_batch(device: torch.device, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.randn(batch_size, width, device=device), torch.randint(0, 2, (batch_size,), device=device)

    return {"model": Net(), "make_batch": make_batch, "loss": nn.functional.cross_entropy}
