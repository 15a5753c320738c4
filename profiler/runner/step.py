"""One training step, built once per run: forward, loss, backward, optimizer, or the
workload's own ``train_step`` (timed and counted as one whole step)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import torch

from profiler.runner.precision import PrecisionPlan
from profiler.workloads.base import Batch, BuiltWorkload
from profiler.workloads.batching import to_channels_last
from profiler.workloads.feed import step_loss

#: ends the phase named by its argument ("forward", "backward", "optimizer") now; see runner.phases
PhaseMark = Callable[[str], None]


class StepFn(Protocol):
    """``step(batch) -> detached loss``; ``mark``, when given, is called at each phase's end."""

    def __call__(self, batch: Batch, mark: PhaseMark | None = None) -> torch.Tensor: ...


def make_optimizer(target: BuiltWorkload | torch.nn.Module) -> Any:
    """The workload's own optimizer(s) (``BuiltWorkload.make_optimizer``), else AdamW with
    settings that train every built-in workload stably."""
    if isinstance(target, BuiltWorkload):
        return target.make_optimizer()
    return torch.optim.AdamW(target.parameters(), lr=1e-3, weight_decay=0.01)


def make_step(
    built: BuiltWorkload,
    model: Callable[..., torch.Tensor],
    optimizer: Any,
    plan: PrecisionPlan,
) -> StepFn:
    """Return ``step(batch, mark=None) -> detached loss``. ``model`` may be the compiled wrapper.

    A phase-sampled step (``profiler.runner.phases``) passes ``mark``; it is called after the
    forward pass and loss ("forward"), after zero_grad and backward ("backward") and after the
    optimizer step ("optimizer"). Unsampled steps pass nothing and pay one ``is None`` test each.
    A workload's ``train_step`` cannot be split into phases: it marks none, so its sampled
    steps show only the input phases.
    """
    if built.train_step is not None:
        return _custom_step(built, model, optimizer, plan)
    loss_of = built.loss_of
    scaler = plan.scaler
    autocast = plan.autocast
    channels_last = built.channels_last

    def step(batch: Batch, mark: PhaseMark | None = None) -> torch.Tensor:
        if channels_last:
            batch = to_channels_last(batch)
        with autocast():
            loss = loss_of(model, batch)
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


def _custom_step(built: BuiltWorkload, model: Callable[..., Any], optimizer: Any, plan: PrecisionPlan) -> StepFn:
    """The workload's ``train_step(model, batch, optimizer)`` under the run's autocast (a
    gradient scaler is the step's own business)."""
    train_step = built.train_step
    assert train_step is not None
    autocast = plan.autocast
    channels_last = built.channels_last

    def step(batch: Batch, mark: PhaseMark | None = None) -> torch.Tensor:
        if channels_last:
            batch = to_channels_last(batch)
        with autocast():
            return step_loss(train_step(model, batch, optimizer), "the workload")

    return step
