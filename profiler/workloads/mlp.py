"""MLP: MNIST-shaped fully connected classifier (784-1024-1024-10 by default)."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any, ClassVar

import torch
from torch import nn

from profiler.workloads.base import Workload
from profiler.workloads.data import classification_batch, classification_dataset
from profiler.workloads.protocol import ModelWorkload


def make_mlp(in_features: int, width: int, depth: int, classes: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    features = in_features
    for _ in range(depth):
        layers += [nn.Linear(features, width), nn.ReLU()]
        features = width
    layers.append(nn.Linear(features, classes))
    return nn.Sequential(*layers)


def build(in_features: int = 784, width: int = 1024, depth: int = 2, classes: int = 10) -> ModelWorkload:
    """The MLP's factory (the workload protocol; defaults are size S)."""
    shape = (in_features,)

    def make_batch(device: torch.device, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        return classification_batch(shape, classes, batch_size, device)

    return ModelWorkload(
        model=make_mlp(in_features, width, depth, classes),
        make_batch=make_batch,
        loss=nn.functional.cross_entropy,
        host_dataset=lambda n: classification_dataset(shape, classes, n),
    )


class MLP(Workload):
    name = "mlp"
    title = "MLP (MNIST-shaped)"
    description = "Fully connected classifier on 28x28 inputs: dense matmuls, the simplest accelerator win."
    presets: ClassVar[dict[str, dict[str, int]]] = {
        "S": {"in_features": 784, "width": 1024, "depth": 2, "classes": 10},
        "M": {"in_features": 784, "width": 2048, "depth": 3, "classes": 10},
        "L": {"in_features": 784, "width": 4096, "depth": 4, "classes": 10},
    }
    default_batch: ClassVar[dict[str, int]] = {"S": 256, "M": 256, "L": 512}
    plain_name: ClassVar[str] = "multilayer perceptron"

    def plain_detail(self, knobs: Mapping[str, Any]) -> str:
        depth = int(knobs["depth"])
        return f"{depth} hidden layer{'s' if depth != 1 else ''} of {knobs['width']}"
    knob_help: ClassVar[dict[str, str]] = {
        "in_features": "input features per sample (784 = 28x28)",
        "width": "neurons in each hidden layer",
        "depth": "number of hidden layers",
        "classes": "output classes",
    }

    def factory(self, knobs: dict[str, int]) -> ModelWorkload:
        return build(**knobs)


def analytic_train_flops(batch: int, in_features: int, width: int, depth: int, classes: int) -> int:
    """Forward + backward matmul FLOPs of one step (input needs no grad: first layer skips dX).

    Forward: 2*B*in*out per Linear. Backward: dW for every layer (2*B*in*out) and dX for every
    layer but the first.
    """
    dims = [in_features] + [width] * depth + [classes]
    pairs = list(pairwise(dims))
    fwd = sum(2 * batch * a * b for a, b in pairs)
    bwd_w = fwd
    bwd_x = sum(2 * batch * a * b for a, b in pairs[1:])
    return fwd + bwd_w + bwd_x
