"""Models that never return, or that talk: for the tests that kill or stop a run mid-way.

``hangs_when_built``: the factory never returns (the model check hangs). ``build``: real
forwards hang from the fifth call (the worker is stuck in a step). ``noisy``: prints to stdout
when built and on every forward (stdout must stay the data channel). A hang touches
``$HORSEPOWER_TEST_HANG_FILE`` first, so a test knows the hang is reached.
"""

import os
import threading
from pathlib import Path

import torch
from torch import nn


def _forever() -> None:
    """Never return; first touch ``$HORSEPOWER_TEST_HANG_FILE`` (if set) to say so."""
    marker = os.environ.get("HORSEPOWER_TEST_HANG_FILE")
    if marker:
        Path(marker).touch()
    threading.Event().wait()


def hangs_when_built() -> dict:
    _forever()
    return {}


class HangsLater(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(8, 2)
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.device.type != "meta":
            self.calls += 1
            if self.calls >= 5:
                _forever()
        return self.linear(x)


class Noisy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        print("NOISE from forward")
        return self.linear(x)


def _make_batch(device: torch.device, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(batch_size, 8, device=device), torch.randint(0, 2, (batch_size,), device=device)


def build() -> dict:
    return {"model": HangsLater(), "make_batch": _make_batch, "loss": nn.functional.cross_entropy}


def noisy() -> dict:
    print("NOISE from the factory")
    return {"model": Noisy(), "make_batch": _make_batch, "loss": nn.functional.cross_entropy}
