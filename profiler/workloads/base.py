"""What a workload is: a factory (the workload protocol) plus its knobs, built on a device.

Each built-in (``mlp.py``, ``cnn.py``, ...) is a module-level factory returning a
``ModelWorkload`` and a ``Workload`` subclass that adds its size presets, TorchBench style;
a user's own model is a ``UserWorkload`` (``user.py``) over the same protocol.
``Workload.build`` turns the factory's answer into a ``BuiltWorkload`` on a device: the runner
only sees ``BuiltWorkload``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import nn

from profiler.workloads.batching import Batch, LossFn, batch_to, output_loss, to_channels_last
from profiler.workloads.data import POOL_BATCHES, cycle_pool
from profiler.workloads.feed import LossPlan, TrainStep, no_step, optimizers_in
from profiler.workloads.protocol import ModelWorkload, ProtocolError, WorkloadError

__all__ = ["Batch", "BuiltWorkload", "ModelWorkload", "ProtocolError", "Workload", "WorkloadError", "materialize"]


@dataclass
class BuiltWorkload:
    """A model ready to train on ``device`` plus how to feed it.

    ``make_batch()`` returns the next batch of a pool made once on the device and cycled
    (see ``batching`` for the batch forms); ``loss_fn(output, target)`` is the workload's loss
    (or the loss its output carries) under the plain batch rules, and ``loss_of(model, batch)``
    the whole way from batch to loss (``feed.LossPlan``: forward names, selectors, shapes).
    ``optimizer_factory(params)`` and ``train_step(model, batch, optimizer)`` are the
    workload's own (None: the engine's AdamW and step; ``make_optimizer`` builds one).
    ``host_dataset(n)`` builds an equivalent CPU-resident dataset of ``n`` samples for the
    input-pipeline mode (None: the workload has none).
    """

    model: nn.Module
    make_batch: Callable[[], Batch]
    loss_fn: LossFn
    batch_size: int
    samples_per_step: int
    host_dataset: Callable[[int], torch.utils.data.Dataset] | None
    knobs: Mapping[str, Any]  # a built-in's are ints; a user model's any simple type (knobs.KnobValue)
    channels_last: bool = False
    sample_unit: str = "samples"
    tokens_per_sample: int | None = None
    loss_of: LossPlan = field(default_factory=LossPlan)
    optimizer_factory: Callable[[Iterator[nn.Parameter]], Any] | None = None
    train_step: TrainStep | None = None
    architecture: str = ""

    @property
    def params(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    @property
    def loss_source(self) -> str:
        """Where the loss comes from, once a step ran ("" before)."""
        return "train_step(model, batch, optimizer) of the workload" if self.train_step else self.loss_of.used

    def make_optimizer(self) -> Any:
        """The workload's optimizer(s) over ``model``'s parameters, else AdamW (lr 1e-3, decay 0.01).
        Without a ``train_step`` the answer must be one ``torch.optim.Optimizer``."""
        if self.optimizer_factory is None:
            return torch.optim.AdamW(self.model.parameters(), lr=1e-3, weight_decay=0.01)
        answer = self.optimizer_factory(self.model.parameters())
        if self.train_step is None and not isinstance(answer, torch.optim.Optimizer):
            raise ProtocolError(f"optimizer(params) returned {type(answer).__name__}, not a torch.optim.Optimizer "
                                "(several optimizers need a train_step that uses them)")
        if self.train_step is not None and not optimizers_in(answer):
            raise ProtocolError(f"optimizer(params) returned {type(answer).__name__}: return a torch.optim.Optimizer "
                                "or a tuple of them")
        return answer

    def counted_step(self, model: Any, batch: Batch, backward: bool = True) -> None:
        """What FLOP counting runs: forward, loss and backward of ``batch``, or the workload's
        ``train_step`` with its optimizers' ``step`` made a no-op. The counter sees matmuls and
        convolutions, never an optimizer's elementwise arithmetic, so the count is the same,
        and the weights and the run's optimizer state are untouched."""
        if self.train_step is None or not backward:
            loss = self.loss_of(model, batch)
            if backward:
                loss.backward()
            return
        optimizer = self.make_optimizer()
        for opt in optimizers_in(optimizer):
            opt.step = no_step  # type: ignore[method-assign,assignment]
        self.train_step(model, batch, optimizer)


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

    #: the model for an audience, without jargon: "multilayer perceptron" (presentation headlines)
    plain_name: ClassVar[str] = ""

    def plain_detail(self, knobs: Mapping[str, Any]) -> str:
        """The one fact an audience can picture, from resolved ``knobs``: ``4 layers``."""
        return ""

    @abstractmethod
    def factory(self, knobs: dict[str, Any]) -> ModelWorkload:
        """Call the workload's factory with resolved knobs (on the CPU, or under meta)."""

    @property
    def cache_key(self) -> tuple[Any, ...]:
        """What identifies this workload's model apart from knobs (FLOP count caching)."""
        return (self.name,)

    def default_batch_size(self, size: str, parts: ModelWorkload) -> int:
        return self.default_batch[size]

    def resolve_knobs(self, size: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
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
        knobs: Mapping[str, Any] | None = None,
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


def apply_knob_overrides(who: str, knobs: dict[str, Any], overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    for key, value in (overrides or {}).items():
        if key not in knobs:
            raise WorkloadError(f"unknown knob {key!r} for {who}; choose from {', '.join(knobs) or 'none'}")
        whole = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) \
            and value == int(value)
        if not whole or int(value) <= 0:  # 2.5 is no width (it was truncated to 2), "abc" none at all
            raise WorkloadError(f"{key} must be a positive integer, got {value!r}")
        knobs[key] = int(value)
    return knobs


def _on_meta(device: torch.device) -> Any:
    """Build under ``torch.device("meta")`` when the target is meta (no memory); else as is."""
    return torch.device("meta") if device.type == "meta" else nullcontext()


def materialize(
    parts: ModelWorkload, device: torch.device, batch_size: int, knobs: Mapping[str, Any], channels_last: bool
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
        loss_fn=parts.loss if callable(parts.loss) else output_loss,
        batch_size=batch_size,
        samples_per_step=batch_size,
        host_dataset=parts.host_dataset,
        knobs=dict(knobs),
        channels_last=use_cl,
        sample_unit=parts.sample_unit,
        tokens_per_sample=parts.tokens_per_sample,
        loss_of=LossPlan.of(parts.forward, parts.loss),
        optimizer_factory=parts.optimizer,
        train_step=parts.train_step,
        architecture=parts.architecture,
    )
