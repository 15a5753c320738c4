"""Built-in sample workloads, by name."""

from __future__ import annotations

from profiler.workloads.base import BuiltWorkload, Workload, WorkloadError
from profiler.workloads.cnn import CNN
from profiler.workloads.gpt import GPT
from profiler.workloads.lstm import LSTM
from profiler.workloads.mlp import MLP

WORKLOADS: dict[str, Workload] = {w.name: w for w in (MLP(), CNN(), GPT(), LSTM())}


def get_workload(name: str) -> Workload:
    try:
        return WORKLOADS[name]
    except KeyError:
        raise WorkloadError(f"unknown workload {name!r}; choose from {', '.join(WORKLOADS)}") from None


__all__ = ["WORKLOADS", "BuiltWorkload", "Workload", "WorkloadError", "get_workload"]
