"""How one batch reaches the model and the loss (the workload protocol's batch rules).

===============================  ============================  ==========================
``make_batch`` returns           the model is called as        the loss is called as
===============================  ============================  ==========================
a tensor ``x``                   ``model(x)``                  ``loss(output, x)``
a tuple ``(a, b, ..., y)``       ``model(a, b, ...)``          ``loss(output, y)``
a tuple ``({"k": v, ...}, y)``   ``model(k=v, ...)``           ``loss(output, y)``
a dict ``{"k": v, ...}``         ``model(k=v, ...)``           ``loss(output, batch)``
===============================  ============================  ==========================

With no loss function the output is the loss, or carries it (``output.loss`` /
``output["loss"]``, as a Hugging Face model given ``labels`` does). Pure functions; thread-safe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

#: a tensor, a tuple/list ``(inputs..., targets)`` or a dict of keyword arguments
Batch = Any
LossFn = Callable[[Any, Any], torch.Tensor]


class BatchError(ValueError):
    """A batch or a model output that the batch rules cannot use (one line for a user)."""


def split_batch(batch: Batch) -> tuple[tuple[Any, ...], dict[str, Any], Any]:
    """(positional inputs, keyword inputs, target) of ``batch`` (see the module table)."""
    if isinstance(batch, torch.Tensor):
        return (batch,), {}, batch
    if isinstance(batch, Mapping):
        if not all(isinstance(k, str) for k in batch):
            raise BatchError("a dict batch must have string keys (the model's keyword arguments)")
        return (), dict(batch), batch
    if isinstance(batch, (tuple, list)):
        if len(batch) < 2:
            raise BatchError(f"a tuple batch is (inputs..., targets): at least two items, got {len(batch)}")
        if len(batch) == 2 and isinstance(batch[0], Mapping):
            return (), dict(batch[0]), batch[1]
        return tuple(batch[:-1]), {}, batch[-1]
    raise BatchError(f"make_batch returned {type(batch).__name__}: a batch is a tensor, a tuple "
                     "(inputs..., targets) or a dict of the model's keyword arguments")


def forward_loss(model: Callable[..., Any], loss_fn: LossFn, batch: Batch) -> torch.Tensor:
    """Run ``batch`` through ``model`` and return ``loss_fn(output, target)``."""
    args, kwargs, target = split_batch(batch)
    return loss_fn(model(*args, **kwargs), target)


def output_loss(output: Any, target: Any = None) -> torch.Tensor:
    """The loss an output carries (the loss of a workload that gives no loss function)."""
    loss = getattr(output, "loss", None)
    if loss is None and isinstance(output, Mapping):
        loss = output.get("loss")
    if loss is None and isinstance(output, torch.Tensor) and output.ndim == 0:
        loss = output
    if loss is None and isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor) \
            and output[0].ndim == 0:
        loss = output[0]
    if not isinstance(loss, torch.Tensor):
        raise BatchError(f"the workload has no loss function and the model's output ({type(output).__name__}) "
                         "carries no loss: give the workload a loss(output, target), or return the loss")
    return loss


def check_loss(loss: Any) -> torch.Tensor:
    """``loss`` if it is a scalar tensor that backpropagates; BatchError otherwise."""
    if not isinstance(loss, torch.Tensor):
        raise BatchError(f"the loss must be a scalar tensor, got {type(loss).__name__}")
    if loss.ndim != 0:
        raise BatchError(f"the loss must be a scalar tensor, got shape {tuple(loss.shape)}: reduce it "
                         "(e.g. .mean())")
    if not loss.requires_grad:
        raise BatchError("the loss does not depend on any trainable parameter (requires_grad is False)")
    return loss


def map_tensors(batch: Batch, fn: Callable[[torch.Tensor], torch.Tensor]) -> Batch:
    """``batch`` with ``fn`` applied to every tensor in it (tuples, lists, dicts, nested)."""
    if isinstance(batch, torch.Tensor):
        return fn(batch)
    if isinstance(batch, Mapping):
        return {k: map_tensors(v, fn) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):  # a namedtuple
        return type(batch)(*(map_tensors(v, fn) for v in batch))
    if isinstance(batch, (tuple, list)):
        return type(batch)(map_tensors(v, fn) for v in batch)
    return batch


def batch_to(batch: Batch, device: torch.device | str) -> Batch:
    """Every tensor of ``batch`` on ``device`` (``non_blocking``: pinned memory copies async)."""
    dev = torch.device(device)
    return map_tensors(batch, lambda t: t.to(dev, non_blocking=True))


def to_channels_last(batch: Batch) -> Batch:
    """Image-shaped (4-D floating-point) tensors of ``batch`` in ``torch.channels_last``."""
    def convert(t: torch.Tensor) -> torch.Tensor:
        return t.contiguous(memory_format=torch.channels_last) if t.dim() == 4 and t.is_floating_point() else t

    return map_tensors(batch, convert)

