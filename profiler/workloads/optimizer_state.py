"""The optimizer a workload trains with, and how much memory its state takes.

The memory pre-check needs the optimizer state of the optimizer actually used, not an
assumed Adam: AdamW keeps two fp32 copies of every parameter, SGD without momentum none.
The model check takes one real step (on the ``meta`` device when the model runs there:
shapes only, nothing allocated) and sums the tensors the optimizer then holds
(``state_bytes``). Pure functions; thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from profiler.workloads.feed import optimizers_in


@dataclass(frozen=True)
class OptimizerFacts:
    """``name`` (``"SGD"``, ``"Adam + Adam"``, ``"AdamW (Horsepower's default)"``) and the bytes of
    its state after one step (None when it holds no torch optimizer we can read)."""

    name: str
    state_bytes: int | None


def state_bytes(optimizers: list[torch.optim.Optimizer]) -> int:
    """Bytes of every tensor in the optimizers' state (moments, momentum buffers, steps)."""
    seen: set[int] = set()
    total = 0
    for opt in optimizers:
        for state in opt.state.values():
            for value in state.values() if isinstance(state, dict) else ():
                if isinstance(value, torch.Tensor) and id(value) not in seen:
                    seen.add(id(value))
                    total += value.numel() * value.element_size()
    return total


def describe_optimizer(answer: Any, default: bool) -> OptimizerFacts:
    """The facts of an optimizer (or a tuple of them) that has taken one step."""
    optimizers = optimizers_in(answer)
    if not optimizers:
        return OptimizerFacts(type(answer).__name__, None)
    name = " + ".join(type(o).__name__ for o in optimizers)
    return OptimizerFacts(f"{name} (Horsepower's default)" if default else name, state_bytes(optimizers))
