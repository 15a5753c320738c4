"""A model whose ``make_batch`` runs out of memory above 4 samples (on a real device)."""

import torch
from torch import nn

LARGEST = 4


def build(width: int = 8) -> dict:
    def make_batch(device: torch.device, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        if torch.device(device).type != "meta" and batch_size > LARGEST:
            raise torch.OutOfMemoryError(f"CUDA out of memory. Tried to allocate {batch_size} GiB")
        return torch.randn(batch_size, 6, device=device), torch.randint(0, 3, (batch_size,), device=device)

    model = nn.Sequential(nn.Linear(6, width), nn.ReLU(), nn.Linear(width, 3))
    return {"model": model, "make_batch": make_batch, "loss": nn.functional.cross_entropy, "batch_size": 16}
