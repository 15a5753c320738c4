"""One training step, built once per run: forward, loss, backward, optimizer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import torch

from profiler.runner.precision import PrecisionPlan
from profiler.workloads.base import Batch, BuiltWorkload
from profiler.workloads.batching import forward_loss, to_channels_last

#: ends the phase named by its argument ("forward", "backward", "optimizer") now; see runner.phases
PhaseMark = Callable[[str], None]


class StepFn(Protocol):
    """``step(batch) -> detached loss``; ``mark``, when given, is called at each phase's end."""

    def __call__(self, batch: Batch, mark: PhaseMark | None = None) -> torch.Tensor: ...


def make_optimizer(model: torch.nn.Module) -> torch.optim.Optimizer:
    """AdamW with settings that train every built-in workload stably."""
    return torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)


def make_step(
    built: BuiltWorkload,
    model: Callable[..., torch.Tensor],
    optimizer: torch.optim.Optimizer,
    plan: PrecisionPlan,
) -> StepFn:
    """Return ``step(batch, mark=None) -> detached loss``. ``model`` may be the compiled wrapper.

    A phase-sampled step (``profiler.runner.phases``) passes ``mark``; it is called after the
    forward pass and loss ("forward"), after zero_grad and backward ("backward") and after the
    optimizer step ("optimizer"). Unsampled steps pass nothing and pay one ``is None`` test each.
    """
    loss_fn = built.loss_fn
    scaler = plan.scaler
    autocast = plan.autocast
    channels_last = built.channels_last

    def step(batch: Batch, mark: PhaseMark | None = None) -> torch.Tensor:
        if channels_last:
            batch = to_channels_last(batch)
        with autocast():
            loss = forward_loss(model, loss_fn, batch)
        if mark is not None:
            mark("forward")
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            if mark is not None:
                mark("backward")
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            if mark is not None:
                mark("backward")
            optimizer.step()
        if mark is not None:
            mark("optimizer")
        return loss.detach()

    return step
