"""Cost versus time to train: chart points and the Pareto front (plain data for any plot).

A point is on the front when no other point is at most as slow and at most as dear and
strictly better in one of the two (nominal figures; the band is carried for error bars).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from profiler.analysis.advisor.row import Row


def front(points: Sequence[tuple[float, float]]) -> list[bool]:
    """For each (time, cost): is it on the Pareto front (minimising both)?"""
    out = []
    for i, (t, c) in enumerate(points):
        dominated = any(t2 <= t and c2 <= c and (t2 < t or c2 < c) for j, (t2, c2) in enumerate(points) if j != i)
        out.append(not dominated)
    return out


def pareto_points(rows: Sequence[Row]) -> tuple[dict[str, Any], ...]:
    """One point per row that has a time and a cost and fits; ``on_front`` marks the front."""
    chosen = [r for r in rows if r.time_s is not None and r.cost.amount is not None and r.feasible_fit]
    flags = front([(r.time_s.nominal, r.cost.amount.nominal) for r in chosen  # type: ignore[union-attr]
                   ])
    out = []
    for row, on_front in zip(chosen, flags, strict=True):
        assert row.time_s is not None and row.cost.amount is not None
        out.append({"device": row.device.id, "name": row.device.name, "measured": row.measured,
                    "time_s": row.time_s.nominal, "cost": row.cost.amount.nominal,
                    "time_band_s": row.time_s.to_dict(), "cost_band": row.cost.amount.to_dict(),
                    "cost_kind": row.cost.kind, "on_front": on_front,
                    "untested": bool(row.projection.untested)})
    return tuple(out)
