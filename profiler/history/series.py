"""The columnar time-series shape shared by the store, exports and charts.

``{"steps": {"step", "stage", "t_s", "step_time_s", "samples", "loss"}: lists,
"telemetry": {key: {"t_s": [...], "value": [...]}}, "notices": [{"t_s", "kind", "message"}]}``
Times are seconds since the run started.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

STEP_COLUMNS = ("step", "stage", "t_s", "step_time_s", "samples", "loss")
#: step columns renamed since an earlier version wrote them (old -> new): a step's run stage
#: (warmup | timed | compile) was called its "phase" before schema 2 of the export envelope
RENAMED_STEP_COLUMNS = {"phase": "stage"}


def empty_series() -> dict[str, Any]:
    return {"steps": {c: [] for c in STEP_COLUMNS}, "telemetry": {}, "notices": []}


def upgrade_series(series: dict[str, Any]) -> dict[str, Any]:
    """``series`` with step columns an earlier version named differently renamed
    (``RENAMED_STEP_COLUMNS``), in place; a current one is returned unchanged."""
    steps = series.get("steps")
    if isinstance(steps, dict):
        for old, new in RENAMED_STEP_COLUMNS.items():
            if old in steps and new not in steps:
                steps[new] = steps.pop(old)
    return series


def series_from_steps(rows: Sequence[Sequence[Any]]) -> dict[str, list[Any]]:
    """Columns from ``(step, stage, t_s, step_time_s, samples, loss)`` rows."""
    cols: dict[str, list[Any]] = {c: [] for c in STEP_COLUMNS}
    for row in rows:
        for name, value in zip(STEP_COLUMNS, row, strict=True):
            cols[name].append(value)
    return cols


def steps_from_result(
    result: dict[str, Any], series: dict[str, Any] | None
) -> list[tuple[int, str, float, float, int, float | None]]:
    """Step rows for storing: from ``series`` if given, else rebuilt from ``step_times_s``.

    Rebuilt rows are the timed window only, at cumulative times; losses are attached only
    when there is exactly one per timed step.
    """
    if series and series.get("steps") and series["steps"].get("t_s"):
        s = series["steps"]
        return [
            (int(s["step"][i]), str(s["stage"][i]), float(s["t_s"][i]),
             float(s["step_time_s"][i]), int(s["samples"][i]),
             None if s["loss"][i] is None else float(s["loss"][i]))
            for i in range(len(s["t_s"]))
        ]
    times = [float(t) for t in result.get("step_times_s") or []]
    losses = result.get("losses") or []
    per_step = int(result.get("samples_per_step") or result.get("batch_size") or 0)
    rows = []
    t_s = float(result.get("warmup_s") or 0.0)
    for i, step_time_s in enumerate(times):
        t_s += step_time_s
        loss = float(losses[i]) if len(losses) == len(times) else None
        rows.append((i, "timed", t_s, step_time_s, per_step, loss))
    return rows
