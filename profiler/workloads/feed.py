"""How one batch becomes a loss: the batch into the model, then the loss out of its output.

``LossPlan`` follows the workload's answer:

- ``forward``: None (the batch rules of ``batching``: ``model(*inputs)`` and the last item
  is the target), names (``("idx", "targets")`` or ``"idx, targets"``: a tuple batch's items,
  targets included, become those keyword arguments: ``model(idx=x, targets=y)``, as
  nanoGPT's ``GPT.forward(idx, targets)`` wants), or a callable ``forward(model, batch)``
  returning the output;
- ``loss``: a callable ``loss(output, target)``, a selector string (``"output[1]"``,
  ``loss_select``), or None: the output is the loss or carries it in a common shape.

``used`` says, after the first call, where the loss came from (shown with the run and the
check). Thread: the run's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from profiler.workloads.batching import Batch, BatchError, LossFn, split_batch
from profiler.workloads.loss_select import Selector, describe, find_loss, parse_selector

#: ``forward(model, batch) -> output``
ForwardFn = Callable[[Any, Batch], Any]
#: ``train_step(model, batch, optimizer) -> loss``: one whole training step, the user's own
TrainStep = Callable[[Any, Batch, Any], Any]


def forward_names(forward: Any) -> tuple[str, ...] | None:
    """``"idx, targets"`` or ``("idx", "targets")`` -> names; None when ``forward`` is not names."""
    if isinstance(forward, str):
        names = tuple(n.strip() for n in forward.split(","))
    elif isinstance(forward, Sequence) and all(isinstance(n, str) for n in forward):
        names = tuple(n.strip() for n in forward)
    else:
        return None
    return names if names and all(n.isidentifier() for n in names) else None


@dataclass
class LossPlan:
    """``plan(model, batch) -> loss``; ``used`` names where the loss came from once it ran."""

    forward: tuple[str, ...] | ForwardFn | None = None
    loss: LossFn | None = None
    selector: Selector | None = None
    used: str = ""

    @classmethod
    def of(cls, forward: Any, loss: Any) -> LossPlan:
        """A plan from a workload's ``forward`` and ``loss`` (checked by ``protocol``)."""
        names = forward_names(forward) if forward is not None else None
        return cls(forward=names if names is not None else forward,
                   loss=None if isinstance(loss, str) else loss,
                   selector=parse_selector(loss) if isinstance(loss, str) else None)

    def __call__(self, model: Any, batch: Batch) -> torch.Tensor:
        output, target = self.run_forward(model, batch)
        if self.loss is not None:
            self.used = self.used or "loss(output, target) of the workload"
            return self.loss(output, target)
        if self.selector is not None:
            value = self.selector.apply(output)
            if not isinstance(value, torch.Tensor):
                raise BatchError(f"the loss selector {self.selector.text!r} names {describe(value)}, not the loss "
                                 "tensor: fix \"loss\" in the workload")
            self.used = self.used or f"{self.selector.text} (the workload's selector)"
            return value
        loss, how = find_loss(output)
        self.used = self.used or how
        return loss

    def run_forward(self, model: Any, batch: Batch) -> tuple[Any, Any]:
        """(output, target) of one batch; ``target`` is what a loss function is given."""
        if callable(self.forward):
            target = batch[-1] if isinstance(batch, (tuple, list)) and batch else batch
            return self.forward(model, batch), target
        if self.forward:
            items = _items(batch)
            if len(items) != len(self.forward):
                raise BatchError(f"forward names {len(self.forward)} keyword argument(s) ({', '.join(self.forward)}) "
                                 f"but the batch has {len(items)} item(s): one name per item of make_batch's tuple")
            return model(**dict(zip(self.forward, items, strict=True))), items[-1]
        args, kwargs, target = split_batch(batch)
        return model(*args, **kwargs), target


def _items(batch: Batch) -> tuple[Any, ...]:
    if isinstance(batch, torch.Tensor):
        return (batch,)
    if isinstance(batch, (tuple, list)):
        return tuple(batch)
    if isinstance(batch, Mapping):
        raise BatchError("forward names map a tuple batch's items to keyword arguments; a dict batch already "
                         "names them: drop \"forward\" or return a tuple")
    raise BatchError(f"make_batch returned {type(batch).__name__}: a batch is a tensor, a tuple or a dict")


def step_loss(value: Any, who: str) -> torch.Tensor:
    """The loss a ``train_step`` returned, detached: a one-element tensor (BatchError else)."""
    if not isinstance(value, torch.Tensor):
        raise BatchError(f"train_step of {who} returned {describe(value)}, not a tensor: return the step's loss "
                         "(e.g. return loss.detach())")
    if value.numel() != 1:
        raise BatchError(f"train_step of {who} returned a tensor of shape {tuple(value.shape)}: return the scalar "
                         "loss (e.g. loss.mean().detach())")
    return value.detach().reshape(())


def optimizers_in(answer: Any) -> list[torch.optim.Optimizer]:
    """The torch optimizers an ``optimizer`` factory returned: one, or a tuple/list/dict of them
    (a GAN's two)."""
    if isinstance(answer, torch.optim.Optimizer):
        return [answer]
    values = answer.values() if isinstance(answer, Mapping) else answer if isinstance(answer, (tuple, list)) else ()
    return [v for v in values if isinstance(v, torch.optim.Optimizer)]



def no_step(*args: Any, **kwargs: Any) -> None:
    """An optimizer step that changes nothing (FLOP counting runs a ``train_step`` with it)."""
