"""What a workload is: a factory (the workload protocol) plus its knobs, built on a device.

Each built-in (``mlp.py``, ``cnn.py``, ...) is a module-level factory returning a
``ModelWorkload`` and a ``Workload`` subclass that adds its size presets, TorchBench style;
a user's own model is a ``UserWorkload`` (``user.py``) over the same protocol.
``Workload.build`` turns the factory's answer into a ``BuiltWorkload`` on a device: the runner
only sees ``BuiltWorkload``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from profiler.workloads.batching import Batch, LossFn, batch_to, output_loss, to_channels_last
from profiler.workloads.data import POOL_BATCHES, cycle_pool
from profiler.workloads.protocol import ModelWorkload, ProtocolError, WorkloadError

__all__ = ["Batch", "BuiltWorkload", "ModelWorkload", "ProtocolError", "Workload", "WorkloadError", "materialize"]


@dataclass
class BuiltWorkload:
    """A model ready to train on ``device`` plus how to feed it.

    ``make_batch()`` returns the next batch of a pool made once on the device and cycled
    (see ``batching`` for the batch forms); ``loss_fn(output, target)`` is the workload's loss
    (or the loss its output carries). ``host_dataset(n)`` builds an equivalent CPU-resident
    dataset of ``n`` samples for the input-pipeline mode (None: the workload has none).
    """

    model: nn.Module
    make_batch: Callable[[], Batch]
    loss_fn: LossFn
    batch_size: int
    samples_per_step: int
    host_dataset: Callable[[int], torch.utils.data.Dataset] | None
    knobs: Mapping[str, int]
    channels_last: bool = False
    sample_unit: str = "samples"
    tokens_per_sample: int | None = None

    @property
    def params(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


class Workload(ABC):
    """A named model factory with knobs. Subclasses fill the attributes and ``factory``.

    ``presets`` maps a size to every knob's value, ``default_batch`` a size to its batch size,
    ``knob_help`` a knob to its one-line meaning (help and tooltips).
    """

    name: str
    title: str
    description: str
    sample_unit: str = "samples"
    presets: ClassVar[dict[str, dict[str, int]]]
    default_batch: ClassVar[dict[str, int]]
    knob_help: ClassVar[dict[str, str]]

    @abstractmethod
    def factory(self, knobs: dict[str, int]) -> ModelWorkload:
        """Call the workload's factory with resolved knobs (on the CPU, or under meta)."""

    @property
    def cache_key(self) -> tuple[Any, ...]:
        """What identifies this workload's model apart from knobs (FLOP count caching)."""
        return (self.name,)

    def default_batch_size(self, size: str, parts: ModelWorkload) -> int:
        return self.default_batch[size]

    def resolve_knobs(self, size: str, overrides: Mapping[str, int] | None = None) -> dict[str, int]:
        if size not in self.presets:
            raise WorkloadError(
                f"unknown size {size!r} for {self.name}; choose from {', '.join(self.presets)}"
            )
        return apply_knob_overrides(self.name, dict(self.presets[size]), overrides)

    def build(
        self,
        device: torch.device | str,
        size: str = "S",
        batch_size: int | None = None,
        knobs: Mapping[str, int] | None = None,
        channels_last: bool = False,
        seed: int = 0,
    ) -> BuiltWorkload:
        """Seed torch, call the factory and make the batch pool on ``device`` (``meta``: shapes
        only, nothing allocated). Raises ``WorkloadError`` for bad knobs or batch size."""
        resolved = self.resolve_knobs(size, knobs)
        if batch_size is not None and int(batch_size) <= 0:
            raise WorkloadError(f"batch size must be a positive integer, got {batch_size}")
        dev = torch.device(device)
        torch.manual_seed(seed)
        with _on_meta(dev):
            parts = self.factory(resolved)
        bs = self.default_batch_size(size, parts) if batch_size is None else int(batch_size)
        return materialize(parts, dev, bs, resolved, channels_last)


def apply_knob_overrides(who: str, knobs: dict[str, int], overrides: Mapping[str, int] | None) -> dict[str, int]:
    for key, value in (overrides or {}).items():
        if key not in knobs:
            raise WorkloadError(f"unknown knob {key!r} for {who}; choose from {', '.join(knobs) or 'none'}")
        if int(value) <= 0:
            raise WorkloadError(f"{key} must be a positive integer, got {value}")
        knobs[key] = int(value)
    return knobs


def _on_meta(device: torch.device) -> Any:
    """Build under ``torch.device("meta")`` when the target is meta (no memory); else as is."""
    return torch.device("meta") if device.type == "meta" else nullcontext()


def materialize(
    parts: ModelWorkload, device: torch.device, batch_size: int, knobs: Mapping[str, int], channels_last: bool
) -> BuiltWorkload:
    """``parts`` on ``device`` with a pool of ``POOL_BATCHES`` batches of ``batch_size``.

    ``channels_last`` applies only to a model with 2-D convolutions (weights and image batches).
    """
    model = parts.model.to(device)
    use_cl = channels_last and any(isinstance(m, nn.Conv2d) for m in model.modules())
    with _on_meta(device):
        pool = [batch_to(parts.make_batch(device, batch_size), device) for _ in range(POOL_BATCHES)]
    if use_cl:
        model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        pool = [to_channels_last(b) for b in pool]
    return BuiltWorkload(
        model=model,
        make_batch=cycle_pool(pool),
        loss_fn=parts.loss or output_loss,
        batch_size=batch_size,
        samples_per_step=batch_size,
        host_dataset=parts.host_dataset,
        knobs=dict(knobs),
        channels_last=use_cl,
        sample_unit=parts.sample_unit,
        tokens_per_sample=parts.tokens_per_sample,
    )
