"""Training memory of one model, counted on the ``meta`` device before a byte is allocated.

A training step holds the weights (parameters and buffers, as built), one gradient per
trainable parameter (same dtype), the optimizer's state and the activations autograd saves
for backward. Under bf16 autocast the parameters, their gradients and AdamW's two moments
stay fp32: only activations shrink, so "try bf16" does not make an fp32 model's fixed part fit.

- Optimizer state is measured by taking one optimizer step on meta parameters with meta
  gradients and adding up the state tensors it creates (AdamW: ``exp_avg`` and
  ``exp_avg_sq``, 2 copies of every trainable parameter); an optimizer that cannot step on
  meta (one that reads values) falls back to a table by class name.
- Activations are the tensors autograd saves for backward during one forward and loss on
  meta (``torch.autograd.graph.saved_tensors_hooks``), each storage counted once, parameters'
  storages left out, at batches 1 and 2: the difference is the bytes per sample. Counted in
  the model's own dtype (fp32 models: an upper bound for bf16 autocast). Backward's own
  transient buffers are not in it. A forward that reads a value (``.item()``, ``if t.all():``,
  as Hugging Face's mask helpers do) gets False or 0 from ``ValueGuess`` instead of failing on
  meta: the ordinary path of those checks; a model whose shapes follow the value it reads
  would be misjudged, so the reads are logged.

``usable_memory_bytes`` (``memory_limits``) is what this process may use; ``Footprint.fits``
compares the two. Pure functions over meta tensors; thread-safe.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

from profiler.workloads.batching import Batch, LossFn, forward_loss
from profiler.workloads.memory_limits import usable_memory_bytes

if TYPE_CHECKING:
    from profiler.workloads.base import Workload

__all__ = ["Footprint", "measure_footprint", "optimizer_state_bytes", "parameter_footprint", "usable_memory_bytes",
           "workload_footprint"]

log = logging.getLogger(__name__)

#: the largest batch ``max_batch`` reports (a model whose activations were not measured fits any)
MAX_BATCH = 1 << 20
#: state copies per trainable parameter by optimizer class, for one that cannot step on meta
STATE_COPIES = {"Adam": 2, "AdamW": 2, "NAdam": 2, "RAdam": 2, "Adamax": 2, "Adadelta": 2, "Adagrad": 1,
                "RMSprop": 1, "Rprop": 2, "ASGD": 1, "SGD": 0, "LBFGS": 2, "Adafactor": 1}
OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]


def default_optimizer(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    """The runner's optimizer (``profiler.runner.step.make_optimizer``): AdamW."""
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)


@dataclass(frozen=True)
class Footprint:
    """Training memory of one model, counted on the meta device (bytes).

    ``parameters`` is a count; ``activations_bytes_per_sample`` the bytes saved for backward
    per sample of the batch (0.0 with ``activations_measured`` False when the model could not
    run on meta); ``optimizer`` names the optimizer whose state was counted."""

    parameters: int
    weights_bytes: int
    grads_bytes: int
    optimizer_state_bytes: int
    activations_bytes_per_sample: float
    activations_measured: bool = True
    optimizer: str = "AdamW"

    @property
    def fixed_bytes(self) -> int:
        """Weights, gradients and optimizer state: what no batch size changes."""
        return self.weights_bytes + self.grads_bytes + self.optimizer_state_bytes

    def training_bytes(self, batch: int) -> int:
        """Bytes one training step at ``batch`` samples holds at its peak (estimate)."""
        return self.fixed_bytes + math.ceil(self.activations_bytes_per_sample * max(0, batch))

    def max_batch(self, usable_bytes: int) -> int | None:
        """The largest batch whose training bytes fit in ``usable_bytes`` (at most ``MAX_BATCH``);
        None: even batch 1 does not fit."""
        room = usable_bytes - self.fixed_bytes
        if room < 0 or room < self.activations_bytes_per_sample:
            return None
        if self.activations_bytes_per_sample <= 0:
            return MAX_BATCH
        return min(MAX_BATCH, int(room // self.activations_bytes_per_sample))

    def largest_parameters(self, usable_bytes: int) -> int:
        """Parameters of the largest model of this shape (same bytes per parameter, the
        activations of one sample kept) that fits ``usable_bytes`` at batch 1; 0 if none."""
        if self.parameters <= 0 or self.fixed_bytes <= 0:
            return 0
        per_param = self.fixed_bytes / self.parameters
        return max(0, int((usable_bytes - self.activations_bytes_per_sample) / per_param))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parameter_footprint(model: nn.Module, optimizer: OptimizerFactory | None = None) -> Footprint:
    """Weights, gradients and optimizer state of ``model`` (meta or not: no allocation for a
    meta model); activations not measured."""
    params = list(model.parameters())
    trainable = [p for p in params if p.requires_grad]
    weights = sum(_nbytes(p) for p in params) + sum(_nbytes(b) for b in model.buffers())
    state, name = optimizer_state_bytes(trainable, optimizer)
    return Footprint(parameters=sum(p.numel() for p in params), weights_bytes=weights,
                     grads_bytes=sum(_nbytes(p) for p in trainable), optimizer_state_bytes=state,
                     activations_bytes_per_sample=0.0, activations_measured=False, optimizer=name)


def optimizer_state_bytes(params: list[nn.Parameter], optimizer: OptimizerFactory | None = None) -> tuple[int, str]:
    """(bytes of optimizer state for ``params``, the optimizer's class name). Steps the
    optimizer once on meta copies of ``params`` (the model itself is untouched)."""
    make = optimizer or default_optimizer
    copies = [nn.Parameter(torch.empty_like(p, device="meta"), requires_grad=True) for p in params]
    opt = make(copies)
    name = type(opt).__name__
    for copy in copies:
        copy.grad = torch.empty_like(copy)
    try:
        opt.step()
    except Exception as exc:  # an optimizer that reads values (e.g. a learning-rate schedule in-step)
        per_copy = STATE_COPIES.get(name, 2)
        log.info("%s cannot step on meta (%s); assuming %d state copies per parameter", name, exc, per_copy)
        return per_copy * sum(_nbytes(p) for p in params), name
    state = sum(_nbytes(v) for st in opt.state.values() for v in st.values()
                if isinstance(v, torch.Tensor) and v.device.type == "meta")
    return state, name


def measure_footprint(model: nn.Module, loss_fn: LossFn, batch_of: Callable[[int], Batch],
                      optimizer: OptimizerFactory | None = None,
                      loss_of: Callable[[nn.Module, Batch], torch.Tensor] | None = None) -> Footprint:
    """The full footprint of a meta ``model``: ``batch_of(n)`` gives a meta batch of ``n``
    samples; ``loss_of(model, batch)``, when given, is the workload's own way from batch to
    loss (``BuiltWorkload.loss_of``: forward names, selectors), else ``loss_fn`` under the batch
    rules. Activations are left unmeasured (with the reason logged) if the model cannot run on
    meta."""
    fixed = parameter_footprint(model, optimizer)
    try:
        one, two = (saved_activation_bytes(model, loss_fn, batch_of(n), loss_of) for n in (1, 2))
    except Exception as exc:
        log.info("activations not measurable on meta: %s", exc)
        return fixed
    per_sample = float(max(two - one, 0)) or float(two) / 2
    return Footprint(fixed.parameters, fixed.weights_bytes, fixed.grads_bytes, fixed.optimizer_state_bytes,
                     per_sample, True, fixed.optimizer)


def workload_footprint(workload: Workload, size: str = "S", knobs: Mapping[str, int] | None = None,
                       channels_last: bool = False, optimizer: OptimizerFactory | None = None) -> Footprint:
    """The footprint of a built-in or user workload, built on meta at batches 1 and 2 (seconds
    for a 7B model; nothing allocated). Runs a user's code: worker or model-check process only."""
    with torch.random.fork_rng(devices=[]):
        built = workload.build("meta", size, 1, knobs, channels_last)

        def batch_of(n: int) -> Batch:
            return built.make_batch() if n == 1 else workload.build("meta", size, n, knobs, channels_last).make_batch()

        return measure_footprint(built.model, built.loss_fn, batch_of, optimizer)


def saved_activation_bytes(model: nn.Module, loss_fn: LossFn, batch: Batch,
                           loss_of: Callable[[nn.Module, Batch], torch.Tensor] | None = None) -> int:
    """Bytes of the distinct storages autograd saves for backward in one forward and loss of
    ``batch`` (parameters' own storages left out). Run it on meta: nothing is allocated."""
    model.train()
    guess = ValueGuess()
    with guess, SavedTensorMeter(model) as meter:
        loss = loss_of(model, batch) if loss_of is not None else forward_loss(model, loss_fn, batch)  # kept alive
    del loss
    if guess.reads:
        log.info("%d value read(s) on meta answered False/0 while measuring activations", guess.reads)
    return meter.total_bytes


class SavedTensorMeter:
    """While active, counts the distinct storages autograd saves for backward (bytes), leaving
    out ``model``'s parameters: the one measure of a step's activations (the footprint, the
    advisor's model facts and its replay census all use it)."""

    def __init__(self, model: nn.Module) -> None:
        self._skip = {_storage_key(p) for p in model.parameters()}
        self._seen: dict[int, int] = {}
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, lambda t: t)

    def _pack(self, t: torch.Tensor) -> torch.Tensor:
        key = _storage_key(t)
        if key not in self._skip and key not in self._seen:
            self._seen[key] = t.untyped_storage().nbytes()
        return t

    def __enter__(self) -> SavedTensorMeter:
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._hooks.__exit__(*exc)

    @property
    def total_bytes(self) -> int:
        return sum(self._seen.values())


class ValueGuess(TorchDispatchMode):
    """Answers a read of a meta tensor's value (``aten._local_scalar_dense``) with False or 0
    and counts the reads; every other op runs as it is."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        if func is torch.ops.aten._local_scalar_dense.default and args[0].device.type == "meta":
            self.reads += 1
            dtype = args[0].dtype
            return False if dtype == torch.bool else 0.0 if dtype.is_floating_point else 0
        return func(*args, **(kwargs or {}))


def _storage_key(t: torch.Tensor) -> int:
    return int(t.untyped_storage()._cdata)


def _nbytes(t: torch.Tensor) -> int:
    return t.numel() * t.element_size()
