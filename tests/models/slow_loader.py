"""A model whose Dataset is a class defined in this file (DataLoader workers must import it).

``delay_us`` sleeps in ``__getitem__`` so a run with 0 loader workers waits on its input.
"""

import time

import torch
from torch import nn

FEATURES, CLASSES = 16, 4


class SlowDataset(torch.utils.data.Dataset):
    """``n`` random rows; each read sleeps ``delay_s`` (a slow decode or disk read)."""

    def __init__(self, n: int, delay_s: float) -> None:
        self.x = torch.randn(n, FEATURES)
        self.y = torch.randint(0, CLASSES, (n,))
        self.delay_s = delay_s

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self.delay_s:
            time.sleep(self.delay_s)
        return self.x[i], self.y[i]


def build(width: int = 16, delay_us: int = 0) -> dict:
    model = nn.Sequential(nn.Linear(FEATURES, width), nn.ReLU(), nn.Linear(width, CLASSES))

    def make_batch(device: torch.device, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.randn(batch_size, FEATURES, device=device), torch.randint(0, CLASSES, (batch_size,), device=device)

    return {"model": model, "make_batch": make_batch, "loss": nn.functional.cross_entropy, "batch_size": 8,
            "host_dataset": lambda n: SlowDataset(n, delay_us / 1e6)}
