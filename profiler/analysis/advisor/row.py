"""One device of the advisor's answer (``Row``): its own module so ``advise``, ``pareto``,
``recommend`` and ``text`` share the type without importing each other."""

from __future__ import annotations

from dataclasses import dataclass

from profiler.analysis.advisor.bands import Band
from profiler.analysis.advisor.costs import Cost, Power
from profiler.analysis.advisor.hardware import HardwareDevice
from profiler.analysis.advisor.project import MEASURED, NA, Projection
from profiler.analysis.advisor.roofline import NO_FIT


@dataclass(frozen=True)
class Row:
    """One device of the answer. Figures are bands; exact when ``projection.status`` is measured
    (time and rate; energy is measured only when ``power.measured``)."""

    projection: Projection
    time_s: Band | None
    energy_wh: Band | None
    power: Power | None
    cost: Cost
    owned: bool
    meets_deadline: bool | None
    within_budget: bool | None
    blind: Projection | None = None

    @property
    def device(self) -> HardwareDevice:
        return self.projection.device

    @property
    def measured(self) -> bool:
        return self.projection.status == MEASURED

    @property
    def feasible_fit(self) -> bool:
        """Projected or measured, and not known to run out of memory."""
        fit = self.projection.fit
        return self.projection.status != NA and (fit is None or fit.status != NO_FIT)

    @property
    def feasible(self) -> bool:
        """``feasible_fit``, and not known to miss the deadline or the budget."""
        return self.feasible_fit and self.meets_deadline is not False and self.within_budget is not False
