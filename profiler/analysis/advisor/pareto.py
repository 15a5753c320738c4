"""Cost versus time to train: chart points and the Pareto front (plain data for any plot).

A point is on the front when no other point is at most as slow and at most as dear and
strictly better in one of the two (nominal figures; the band is carried for error bars).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from profiler.analysis.advisor.bands import Band

if TYPE_CHECKING:
    from profiler.analysis.advisor.row import Row


@dataclass(frozen=True)
class ChartPoint:
    """One device on the cost-versus-time chart: time to train (s) and cost of the job (in the
    advice's currency) as bands, exact when measured. ``untested``: a projection whose error no
    back-test measured (``Projection.untested``)."""

    device_id: str
    name: str
    measured: bool
    time_s: Band
    cost: Band
    cost_kind: str
    on_front: bool
    untested: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device_id, "name": self.name, "measured": self.measured,
                "time_s": self.time_s.nominal, "cost": self.cost.nominal,
                "time_band_s": self.time_s.to_dict(), "cost_band": self.cost.to_dict(),
                "cost_kind": self.cost_kind, "on_front": self.on_front, "untested": self.untested}


def front(points: Sequence[tuple[float, float]]) -> list[bool]:
    """For each (time, cost): is it on the Pareto front (minimising both)?"""
    out = []
    for i, (t, c) in enumerate(points):
        dominated = any(t2 <= t and c2 <= c and (t2 < t or c2 < c) for j, (t2, c2) in enumerate(points) if j != i)
        out.append(not dominated)
    return out


def pareto_points(rows: Sequence[Row]) -> tuple[ChartPoint, ...]:
    """One point per row that has a time and a cost and fits; ``on_front`` marks the front."""
    chosen = [r for r in rows if r.time_s is not None and r.cost.amount is not None and r.feasible_fit]
    flags = front([(r.time_s.nominal, r.cost.amount.nominal) for r in chosen  # type: ignore[union-attr]
                   ])
    out = []
    for row, on_front in zip(chosen, flags, strict=True):
        assert row.time_s is not None and row.cost.amount is not None
        out.append(ChartPoint(row.device.id, row.device.name, row.measured, row.time_s, row.cost.amount,
                              row.cost.kind, on_front, bool(row.projection.untested)))
    return tuple(out)
