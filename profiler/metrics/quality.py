"""Is a result a whole measurement or a partial one? Derived from the result, never stored.

A run that was stopped (by the user, or by a window closing mid-run), failed or was
interrupted after measuring some steps still has a throughput, but only over the steps it
measured: every view marks such a figure as partial, with this reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from profiler import units
from profiler.metrics.naming import part

PARTIAL_STATES = frozenset({"stopped", "failed", "oom", "interrupted"})


def partial_reason(run: Mapping[str, Any]) -> str:
    """Why ``run``'s figures are partial ("" for a run that measured its whole window)."""
    status = str(run.get("status") or "")
    if status not in PARTIAL_STATES:
        return ""
    steps = int(run.get("timed_steps") or len(run.get("step_times_s") or ()))
    if not steps or not run.get("samples_per_s"):
        return ""  # nothing was measured: there is no figure to mark
    timed = run.get("timed_s")
    spec = part(run, "spec")
    planned = spec.get("duration_s")
    how = {"stopped": "stopped", "interrupted": "interrupted", "oom": "ran out of memory"}.get(status, "failed")
    span = f" after {units.seconds(float(timed))}" if isinstance(timed, (int, float)) and timed else ""
    of = f" of a planned {units.seconds(float(planned))}" if isinstance(planned, (int, float)) and planned else ""
    return (f"partial: {how}{span}{of} timed window ({steps} steps); "
            "the figures cover only the steps measured")
