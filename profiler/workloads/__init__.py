"""Workloads: the built-in sample models by name, and a user's own model by reference.

Both follow one workload protocol (``protocol.ModelWorkload``, docs/YOUR_MODEL.md);
``workload_for(spec)`` returns the ``Workload`` a run spec names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from profiler.results.model_ref import USER_WORKLOAD
from profiler.workloads.base import BuiltWorkload, Workload, WorkloadError
from profiler.workloads.cnn import CNN
from profiler.workloads.gpt import GPT
from profiler.workloads.lstm import LSTM
from profiler.workloads.mlp import MLP
from profiler.workloads.protocol import ModelWorkload, ProtocolError

if TYPE_CHECKING:
    from profiler.results.spec import RunSpec

WORKLOADS: dict[str, Workload] = {w.name: w for w in (MLP(), CNN(), GPT(), LSTM())}


def get_workload(name: str) -> Workload:
    try:
        return WORKLOADS[name]
    except KeyError:
        raise WorkloadError(
            f"unknown workload {name!r}; choose from {', '.join(WORKLOADS)} (or your own model: --model)"
        ) from None


def workload_for(spec: RunSpec) -> Workload:
    """The built-in workload, or a ``UserWorkload`` for ``spec.model`` (loading it runs the
    user's code on first use: call in a worker or a model-check process)."""
    if spec.workload == USER_WORKLOAD:
        from profiler.workloads.user import UserWorkload

        return UserWorkload(spec.model, spec.model_hash)
    return get_workload(spec.workload)


__all__ = ["WORKLOADS", "BuiltWorkload", "ModelWorkload", "ProtocolError", "Workload", "WorkloadError",
           "get_workload", "workload_for"]
