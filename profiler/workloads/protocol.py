"""The workload protocol: what a model factory returns, built-in or the user's own.

A factory is a function whose keyword arguments are its knobs (integers with defaults,
optionally ``Annotated[int, "help"]``) and which returns a ``ModelWorkload``, or a plain dict
with the same keys, so a model file need not import Horsepower::

    def build(width: int = 256) -> dict:
        model = Net(width)
        def make_batch(device, batch_size):
            x = torch.randn(batch_size, 784, device=device)
            return x, torch.randint(0, 10, (batch_size,), device=device)
        return {"model": model, "make_batch": make_batch, "loss": F.cross_entropy}

How a batch reaches the model and the loss is ``profiler.workloads.batching``. The full
write-up is docs/YOUR_MODEL.md. ``as_model_workload`` checks a factory's answer and raises
``ProtocolError`` (one line naming what is wrong and the protocol) for anything else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

import torch
from torch import nn

from profiler.results.model_ref import PROTOCOL_DOC
from profiler.workloads.batching import Batch

#: what every message about a broken workload ends with
PROTOCOL_HINT = (f"a factory returns a dict (or ModelWorkload) with model (an nn.Module), make_batch(device, "
                 f"batch_size) and loss(output, target); see the workload protocol in {PROTOCOL_DOC}")


class WorkloadError(ValueError):
    """Bad knobs for a workload (unknown name, non-positive size, too large to fit)."""


class ProtocolError(WorkloadError):
    """A factory or its workload breaks the workload protocol (one line for a user)."""


@dataclass
class ModelWorkload:
    """One trainable model and how to feed it (the factory's answer).

    - ``model``: the ``nn.Module`` to train (built on the CPU; the engine moves it).
    - ``make_batch(device, batch_size)``: one synthetic batch on ``device``: a tensor, a tuple
      ``(inputs..., targets)`` or a dict of keyword arguments (``profiler.workloads.batching``).
      Called a few times before the run (``data.POOL_BATCHES``); the batches are cycled, so
      generating them is never part of a timed step.
    - ``loss(output, target)``: a scalar tensor; None when the model's output is the loss
      or carries it (``output.loss``, ``output["loss"]``, as Hugging Face models do).
    - ``sample_unit``: what one sample is ("images", "sequences"); throughput is per sample.
    - ``batch_size``: the default samples per step.
    - ``tokens_per_sample``: tokens in one sample of a sequence model (adds tokens/s), else None.
    - ``host_dataset(n)``: a CPU dataset of ``n`` samples for ``--input-pipeline``, else None.
    """

    model: nn.Module
    make_batch: Callable[[torch.device, int], Batch]
    loss: Callable[[Any, Any], torch.Tensor] | None = None
    sample_unit: str = "samples"
    batch_size: int = 32
    tokens_per_sample: int | None = None
    host_dataset: Callable[[int], torch.utils.data.Dataset] | None = None


FIELDS = tuple(f.name for f in fields(ModelWorkload))


def as_model_workload(answer: Any, who: str) -> ModelWorkload:
    """``answer`` (a ModelWorkload, a dict, or an object with those attributes) checked and
    normalised; ``who`` names the factory in messages (``build() in model.py``)."""
    if isinstance(answer, ModelWorkload):
        parts = {name: getattr(answer, name) for name in FIELDS}
    elif isinstance(answer, Mapping):
        unknown = sorted(set(map(str, answer)) - set(FIELDS))
        if unknown:
            raise ProtocolError(f"{who} returned unknown key(s) {', '.join(unknown)}; the keys are "
                                f"{', '.join(FIELDS)} ({PROTOCOL_HINT})")
        parts = dict(answer)
    elif isinstance(answer, nn.Module) or not hasattr(answer, "model"):
        raise ProtocolError(f"{who} returned {_kind(answer)}, not a workload: {PROTOCOL_HINT}")
    else:
        parts = {name: getattr(answer, name) for name in FIELDS if hasattr(answer, name)}
    for required in ("model", "make_batch"):
        if parts.get(required) is None:
            raise ProtocolError(f"{who} returned no {required}: {PROTOCOL_HINT}")
    _check_parts(parts, who)
    return ModelWorkload(**parts)


def _check_parts(parts: dict[str, Any], who: str) -> None:
    if not isinstance(parts["model"], nn.Module):
        raise ProtocolError(f"{who}: model must be a torch.nn.Module, got {_kind(parts['model'])} ({PROTOCOL_HINT})")
    for name in ("make_batch", "loss", "host_dataset"):
        if parts.get(name) is not None and not callable(parts[name]):
            raise ProtocolError(f"{who}: {name} must be callable, got {_kind(parts[name])} ({PROTOCOL_HINT})")
    batch = parts.get("batch_size", 32)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch <= 0:
        raise ProtocolError(f"{who}: batch_size must be a positive integer, got {batch!r}")
    tokens = parts.get("tokens_per_sample")
    if tokens is not None and (isinstance(tokens, bool) or not isinstance(tokens, int) or tokens <= 0):
        raise ProtocolError(f"{who}: tokens_per_sample must be a positive integer or None, got {tokens!r}")
    unit = parts.get("sample_unit", "samples")
    if not isinstance(unit, str) or not unit.strip():
        raise ProtocolError(f"{who}: sample_unit must be a word such as 'images', got {unit!r}")
    if not any(p.requires_grad for p in parts["model"].parameters()):
        raise ProtocolError(f"{who}: the model has no trainable parameters, so there is nothing to train")


def _kind(value: Any) -> str:
    """``an nn.Linear``, ``None``, ``a str`` for messages."""
    if value is None:
        return "None"
    cls = type(value)
    name = f"nn.{cls.__name__}" if isinstance(value, nn.Module) and cls.__module__.startswith("torch.nn") \
        else cls.__name__
    return f"{'an' if name[0].lower() in 'aeiou' or name.startswith('nn.') else 'a'} {name}"
