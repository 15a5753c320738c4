"""What a sample workload is: a model, synthetic on-device data, a loss, size presets.

One module per workload (``mlp.py``, ``cnn.py``, ...) subclasses ``Workload`` and keeps its
defaults in one place, TorchBench style. The runner only sees ``BuiltWorkload``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

Batch = tuple[torch.Tensor, torch.Tensor]


class WorkloadError(ValueError):
    """Bad knobs for a workload (unknown name, non-positive size, too large to fit)."""


@dataclass
class BuiltWorkload:
    """A model ready to train on ``device`` plus how to feed it.

    ``make_batch`` returns one synthetic (inputs, targets) batch already on the device; the
    runner calls it per step (generation is part of the measured step only when it is cheap:
    workloads pre-generate a small pool and cycle through it). ``host_dataset`` builds an
    equivalent CPU-resident dataset of ``n`` samples for the input-pipeline mode.
    """

    model: nn.Module
    make_batch: Callable[[], Batch]
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    batch_size: int
    samples_per_step: int
    host_dataset: Callable[[int], torch.utils.data.Dataset]
    knobs: Mapping[str, int]
    channels_last: bool = False

    @property
    def params(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


class Workload(ABC):
    """A built-in sample model. Subclasses fill the class attributes and ``_build``."""

    name: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    sample_unit: ClassVar[str] = "samples"
    #: size preset -> knob values; every preset names every knob.
    presets: ClassVar[dict[str, dict[str, int]]]
    #: size preset -> default batch size
    default_batch: ClassVar[dict[str, int]]
    #: knob -> one-line meaning shown in help and tooltips
    knob_help: ClassVar[dict[str, str]]
    supports_channels_last: ClassVar[bool] = False

    def resolve_knobs(self, size: str, overrides: Mapping[str, int] | None = None) -> dict[str, int]:
        if size not in self.presets:
            raise WorkloadError(
                f"unknown size {size!r} for {self.name}; choose from {', '.join(self.presets)}"
            )
        knobs = dict(self.presets[size])
        for key, value in (overrides or {}).items():
            if key not in knobs:
                raise WorkloadError(
                    f"unknown knob {key!r} for {self.name}; choose from {', '.join(knobs)}"
                )
            if int(value) <= 0:
                raise WorkloadError(f"{key} must be a positive integer, got {value}")
            knobs[key] = int(value)
        return knobs

    def build(
        self,
        device: torch.device | str,
        size: str = "S",
        batch_size: int | None = None,
        knobs: Mapping[str, int] | None = None,
        channels_last: bool = False,
        seed: int = 0,
    ) -> BuiltWorkload:
        resolved = self.resolve_knobs(size, knobs)
        bs = self.default_batch[size] if batch_size is None else int(batch_size)
        if bs <= 0:
            raise WorkloadError(f"batch size must be a positive integer, got {bs}")
        torch.manual_seed(seed)
        return self._build(torch.device(device), bs, resolved, channels_last and self.supports_channels_last)

    @abstractmethod
    def _build(
        self, device: torch.device, batch_size: int, knobs: dict[str, int], channels_last: bool
    ) -> BuiltWorkload:
        """Build model and data on ``device``."""
