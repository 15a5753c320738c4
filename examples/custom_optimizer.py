"""Your own optimizer, and knobs of every simple type.

``"optimizer"`` is a function of the model's parameters returning the optimizer to train
with: here plain SGD without momentum, which keeps no state, so the memory pre-check counts
no optimizer state for it (AdamW would add two fp32 copies of every weight). Knobs may be
``int``, ``float``, ``bool`` or ``str``; a ``Literal`` lists a ``str`` knob's choices::

    horsepower run --model examples/custom_optimizer.py:build --knob lr=0.05 --knob activation=gelu \\
        --knob layer_norm=false
"""

from __future__ import annotations

from typing import Annotated, Literal

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh}


def build(width: int = 512, depth: int = 3, lr: Annotated[float, "SGD learning rate"] = 0.1,
          activation: Literal["relu", "gelu", "tanh"] = "relu", layer_norm: bool = True) -> dict:
    layers: list[nn.Module] = []
    features = 784
    for _ in range(depth):
        layers += [nn.Linear(features, width), ACTIVATIONS[activation]()]
        if layer_norm:
            layers.append(nn.LayerNorm(width))
        features = width
    model = nn.Sequential(*layers, nn.Linear(features, 10))

    def make_batch(device: torch.device, batch_size: int):
        return torch.randn(batch_size, 784, device=device), torch.randint(0, 10, (batch_size,), device=device)

    return {"model": model, "make_batch": make_batch, "loss": nn.functional.cross_entropy,
            "optimizer": lambda params: torch.optim.SGD(params, lr=lr),  # no momentum: no state
            "sample_unit": "images", "batch_size": 64}
