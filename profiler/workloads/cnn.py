"""CNN: a ResNet-style image classifier on 3x32x32 inputs (CIFAR-shaped), plain ``torch.nn``.

Three stages of basic residual blocks (two 3x3 convs + BatchNorm + ReLU each) at 32x32,
16x16 and 8x8, with ``width``, ``2*width`` and ``4*width`` channels; global average pool and
a linear classifier. ``depth=1`` is ResNet-8 (1 stem conv + 3*2 block convs + 1 linear).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import torch
from torch import nn

from profiler.workloads.base import Workload
from profiler.workloads.data import pattern_batch, pattern_dataset
from profiler.workloads.protocol import ModelWorkload

IMAGE_SHAPE = (3, 32, 32)


#: below this many input channels a strided 1x1 conv subsamples first (see ``Projection``)
SMALL_CHANNELS = 8


class Projection(nn.Module):
    """The 1x1 shortcut conv with ``stride``: ``Conv2d(in_ch, out_ch, 1, stride)``.

    With fewer than 8 input channels it subsamples first and runs the 1x1 conv at stride 1
    (the same arithmetic): torch 2.13's oneDNN backward of a strided 1x1 channels_last conv
    with 3-7 input channels corrupts the heap on AVX2 CPUs (measured: hangs or
    ``free(): invalid next size``). The presets (width >= 32) never take that path.
    """

    def __init__(self, in_ch: int, out_ch: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        self.subsample = stride > 1 and in_ch < SMALL_CHANNELS
        self.conv = nn.Conv2d(in_ch, out_ch, 1, stride=1 if self.subsample else stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.subsample:
            x = x[:, :, :: self.stride, :: self.stride]
        return self.conv(x)


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with an identity (or 1x1 projection) shortcut."""

    def __init__(self, in_ch: int, out_ch: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(Projection(in_ch, out_ch, stride), nn.BatchNorm2d(out_ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


def make_resnet(width: int, depth: int, classes: int) -> nn.Sequential:
    """ResNet-(6*depth+2) for 32x32 RGB inputs with base channel count ``width``."""
    layers: list[nn.Module] = [
        nn.Conv2d(IMAGE_SHAPE[0], width, 3, padding=1, bias=False),
        nn.BatchNorm2d(width),
        nn.ReLU(inplace=True),
    ]
    in_ch = width
    for stage in range(3):
        out_ch = width * 2**stage
        for block in range(depth):
            stride = 2 if stage > 0 and block == 0 else 1
            layers.append(BasicBlock(in_ch, out_ch, stride))
            in_ch = out_ch
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(in_ch, classes)]
    return nn.Sequential(*layers)


def build(width: int = 32, depth: int = 1, classes: int = 10) -> ModelWorkload:
    """The CNN's factory (the workload protocol; defaults are size S). ``channels_last`` is the
    engine's business: it converts models with 2-D convolutions and their image batches."""

    def make_batch(device: torch.device, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        return pattern_batch(IMAGE_SHAPE, classes, batch_size, device)

    return ModelWorkload(
        model=make_resnet(width, depth, classes),
        make_batch=make_batch,
        loss=nn.functional.cross_entropy,
        host_dataset=lambda n: pattern_dataset(IMAGE_SHAPE, classes, n),
    )


class CNN(Workload):
    name = "cnn"
    title = "CNN (ResNet-style, CIFAR-shaped)"
    description = (
        "Residual convolutional classifier on 3x32x32 images: convolutions, BatchNorm and "
        "memory layout (channels_last) matter."
    )
    presets: ClassVar[dict[str, dict[str, int]]] = {
        "S": {"width": 32, "depth": 1, "classes": 10},
        "M": {"width": 64, "depth": 2, "classes": 10},
        "L": {"width": 128, "depth": 3, "classes": 100},
    }
    default_batch: ClassVar[dict[str, int]] = {"S": 64, "M": 128, "L": 256}
    plain_name: ClassVar[str] = "ResNet-style image classifier"

    def plain_detail(self, knobs: Mapping[str, Any]) -> str:
        return f"ResNet-{6 * int(knobs['depth']) + 2}"  # 3 stages of 2-conv blocks, the stem and the head
    knob_help: ClassVar[dict[str, str]] = {
        "width": "channels of the first stage (doubled at each of the 3 stages)",
        "depth": "residual blocks per stage (1 = ResNet-8, 3 = ResNet-20)",
        "classes": "output classes",
    }
    def factory(self, knobs: dict[str, int]) -> ModelWorkload:
        return build(**knobs)
