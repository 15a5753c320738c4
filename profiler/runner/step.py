"""One training step, built once per run: forward, loss, backward, optimizer."""

from __future__ import annotations

from collections.abc import Callable

import torch

from profiler.runner.precision import PrecisionPlan
from profiler.workloads.base import Batch, BuiltWorkload
from profiler.workloads.batching import forward_loss, to_channels_last

StepFn = Callable[[Batch], torch.Tensor]


def make_optimizer(model: torch.nn.Module) -> torch.optim.Optimizer:
    """AdamW with settings that train every built-in workload stably."""
    return torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)


def make_step(
    built: BuiltWorkload,
    model: Callable[..., torch.Tensor],
    optimizer: torch.optim.Optimizer,
    plan: PrecisionPlan,
) -> StepFn:
    """Return ``step(batch) -> detached loss``. ``model`` may be the compiled wrapper."""
    loss_fn = built.loss_fn
    scaler = plan.scaler
    autocast = plan.autocast
    channels_last = built.channels_last

    def step(batch: Batch) -> torch.Tensor:
        if channels_last:
            batch = to_channels_last(batch)
        with autocast():
            loss = forward_loss(model, loss_fn, batch)
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        return loss.detach()

    return step
