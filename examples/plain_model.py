"""A plain ``torch.nn`` model for Horsepower: nothing to install, no Horsepower import.

    horsepower run --model examples/plain_model.py:build
    horsepower run --model examples/plain_model.py:build --knob channels=64 --precision bf16
    horsepower sweep --model examples/plain_model.py:build --knob batch_size --values 16,64,256 --device cpu

``build`` is the factory of the workload protocol (docs/YOUR_MODEL.md): its integer keyword
arguments are knobs (``--knob channels=64``), and it returns the model, a function that makes
one batch on a device, and a loss.
"""

from typing import Annotated

import torch
from torch import nn

IMAGE = (1, 28, 28)  # MNIST-shaped grayscale images
CLASSES = 10


class SmallConvNet(nn.Module):
    """Two conv blocks and a classifier: 28x28 -> 14x14 -> 7x7 -> CLASSES logits."""

    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(IMAGE[0], channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.BatchNorm2d(2 * channels), nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(2 * channels * 7 * 7, hidden), nn.ReLU(),
                                        nn.Linear(hidden, CLASSES))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(images))


def make_batch(device: torch.device, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random images whose label is the brightest of 10 horizontal bands (learnable)."""
    images = torch.randn(batch_size, *IMAGE, device=device)
    label = torch.randint(0, CLASSES, (batch_size,), device=device)
    rows = torch.arange(IMAGE[1], device=device) * CLASSES // IMAGE[1]  # band of each image row
    images = images + 2.0 * (rows.view(1, 1, -1, 1) == label.view(-1, 1, 1, 1))
    return images, label


def build(channels: Annotated[int, "channels of the first conv (the second has twice as many)"] = 32,
          hidden: Annotated[int, "units of the hidden linear layer"] = 128) -> dict:
    return {
        "model": SmallConvNet(channels, hidden),
        "make_batch": make_batch,  # (inputs, targets): the model gets inputs, the loss targets
        "loss": nn.functional.cross_entropy,
        "sample_unit": "images",
        "batch_size": 64,
    }
