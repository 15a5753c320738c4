"""A plain MLP whose training-step FLOPs have a closed form (see ``analytic_train_flops``)."""

from itertools import pairwise
from typing import Annotated

import torch
from torch import nn

IN_FEATURES, CLASSES = 32, 4


def analytic_train_flops(batch: int, width: int, depth: int) -> int:
    """Forward 2*B*in*out per Linear; backward dW for each and dX for all but the first
    (the input needs no grad)."""
    dims = [IN_FEATURES] + [width] * depth + [CLASSES]
    pairs = list(pairwise(dims))
    fwd = sum(2 * batch * a * b for a, b in pairs)
    return fwd + fwd + sum(2 * batch * a * b for a, b in pairs[1:])


def build(width: Annotated[int, "hidden units"] = 16, depth: int = 1, note: str = "unused") -> dict:
    layers: list[nn.Module] = []
    features = IN_FEATURES
    for _ in range(depth):
        layers += [nn.Linear(features, width), nn.ReLU()]
        features = width
    layers.append(nn.Linear(features, CLASSES))

    def make_batch(device: torch.device, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.randn(batch_size, IN_FEATURES, device=device)
        return x, (x[:, 0] > 0).long() + 2 * (x[:, 1] > 0).long()

    return {"model": nn.Sequential(*layers), "make_batch": make_batch, "loss": nn.functional.cross_entropy,
            "sample_unit": "rows", "batch_size": 8}
