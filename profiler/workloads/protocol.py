"""The workload protocol: what a model factory returns, built-in or the user's own.

A factory is a function whose keyword arguments are its knobs (integers with defaults,
``int``, ``float``, ``bool`` or ``str``, optionally ``Annotated[int, "help"]``, a
``str`` with choices as ``Literal["a", "b"]``) and which returns a ``ModelWorkload``, or a plain dict
with the same keys, so a model file need not import Horsepower::

    def build(width: int = 256) -> dict:
        model = Net(width)
        def make_batch(device, batch_size):
            x = torch.randn(batch_size, 784, device=device)
            return x, torch.randint(0, 10, (batch_size,), device=device)
        return {"model": model, "make_batch": make_batch, "loss": F.cross_entropy}

How a batch reaches the model and the loss is ``profiler.workloads.batching`` and
``feed`` (``forward`` names, loss selectors, shapes found by themselves). The full
write-up is docs/YOUR_MODEL.md. ``as_model_workload`` checks a factory's answer and raises
``ProtocolError`` (one line naming what is wrong and the protocol) for anything else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import torch
from torch import nn

from profiler.results.model_ref import PROTOCOL_DOC
from profiler.workloads.batching import Batch
from profiler.workloads.feed import forward_names
from profiler.workloads.loss_select import SelectorError, parse_selector

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
    - ``loss``: ``loss(output, target)`` returning a scalar tensor; or a selector string
      (``"output[1]"``, ``"output.loss"``: ``loss_select``); or None when the model's output is
      the loss or carries it (a scalar, ``output.loss``, ``output["loss"]``, ``(logits, loss)``).
    - ``forward``: how a batch reaches the model (``feed``): None (the batch rules), keyword
      names for a tuple batch's items, targets included (``("idx", "targets")``), or
      ``forward(model, batch) -> output``.
    - ``optimizer(params)``: the optimizer (or, with ``train_step``, a tuple of optimizers)
      to train with; None: AdamW(lr=1e-3, weight_decay=0.01).
    - ``train_step(model, batch, optimizer) -> loss``: one whole custom step (zero_grad,
      backward, clipping, several optimizers, EMA); the engine times and counts around it.
    - ``sample_unit``: what one sample is ("images", "sequences"); throughput is per sample.
    - ``batch_size``: the default samples per step.
    - ``tokens_per_sample``: tokens in one sample of a sequence model (adds tokens/s), else None.
    - ``host_dataset(n)``: a CPU dataset of ``n`` samples for ``--input-pipeline``, else None.
    - ``architecture``: what was built in one line (libraries fill it: layers, width, heads).
    """

    model: nn.Module
    make_batch: Callable[[torch.device, int], Batch]
    loss: Callable[[Any, Any], torch.Tensor] | str | None = None
    sample_unit: str = "samples"
    batch_size: int = 32
    tokens_per_sample: int | None = None
    host_dataset: Callable[[int], torch.utils.data.Dataset] | None = None
    forward: Sequence[str] | str | Callable[[Any, Any], Any] | None = None
    optimizer: Callable[[Iterator[nn.Parameter]], Any] | None = None
    train_step: Callable[[Any, Any, Any], Any] | None = None
    architecture: str = ""


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
    for name in ("make_batch", "host_dataset", "optimizer", "train_step"):
        if parts.get(name) is not None and not callable(parts[name]):
            raise ProtocolError(f"{who}: {name} must be callable, got {_kind(parts[name])} ({PROTOCOL_HINT})")
    _check_loss_and_forward(parts, who)
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


def _check_loss_and_forward(parts: dict[str, Any], who: str) -> None:
    loss = parts.get("loss")
    if isinstance(loss, str):
        try:
            parse_selector(loss)
        except SelectorError as exc:
            raise ProtocolError(f"{who}: {exc}") from None
    elif loss is not None and not callable(loss):
        raise ProtocolError(f"{who}: loss must be loss(output, target), a selector such as \"output[1]\" or None "
                            f"(the model returns its loss), got {_kind(loss)}")
    forward = parts.get("forward")
    if forward is not None and not callable(forward) and forward_names(forward) is None:
        raise ProtocolError(f"{who}: forward must be the model's keyword argument names for the batch's items "
                            f"(e.g. (\"idx\", \"targets\")) or forward(model, batch), got {forward!r:.60}")
    if not isinstance(parts.get("architecture", ""), str):
        raise ProtocolError(f"{who}: architecture must be a line of text, got {_kind(parts['architecture'])}")


def _kind(value: Any) -> str:
    """``an nn.Linear``, ``None``, ``a str`` for messages."""
    if value is None:
        return "None"
    cls = type(value)
    name = f"nn.{cls.__name__}" if isinstance(value, nn.Module) and cls.__module__.startswith("torch.nn") \
        else cls.__name__
    return f"{'an' if name[0].lower() in 'aeiou' or name.startswith('nn.') else 'a'} {name}"
