"""Summary statistics over raw step times, and the warnings they justify."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

NOISY_CV = 0.10  # step-time coefficient of variation above which a result is flagged noisy
RISING_FRACTION = 0.05  # last-quarter throughput this much above the first quarter: still warming


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, ``q`` in [0, 100]."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclass(frozen=True)
class StepTimeSummary:
    """Step-time statistics in seconds."""

    n: int
    median: float
    mean: float
    p5: float
    p95: float
    stdev: float

    @property
    def cv(self) -> float:
        """Coefficient of variation (stdev / mean)."""
        return self.stdev / self.mean if self.mean > 0 else 0.0

    @property
    def spread(self) -> float:
        """(p95 - p5) / median: the relative width of the central 90%."""
        return (self.p95 - self.p5) / self.median if self.median > 0 else 0.0

    def to_dict(self) -> dict[str, float]:
        return {
            "n": self.n,
            "median": self.median,
            "mean": self.mean,
            "p5": self.p5,
            "p95": self.p95,
            "stdev": self.stdev,
            "cv": self.cv,
            "spread": self.spread,
        }


def summarize(step_times_s: Sequence[float]) -> StepTimeSummary | None:
    if not step_times_s:
        return None
    return StepTimeSummary(
        n=len(step_times_s),
        median=statistics.median(step_times_s),
        mean=statistics.fmean(step_times_s),
        p5=percentile(step_times_s, 5),
        p95=percentile(step_times_s, 95),
        stdev=statistics.pstdev(step_times_s) if len(step_times_s) > 1 else 0.0,
    )


def quality_warnings(step_times_s: Sequence[float]) -> list[str]:
    """Warnings a reader must see before trusting the numbers."""
    warnings: list[str] = []
    n = len(step_times_s)
    if n == 0:
        return ["no timed steps: nothing was measured"]
    if n < 10:
        warnings.append(f"few samples: only {n} timed steps")
    summary = summarize(step_times_s)
    assert summary is not None
    if summary.cv > NOISY_CV:
        warnings.append(f"noisy: step-time CV {summary.cv:.0%}")
    if n >= 20:
        quarter = n // 4
        first = statistics.median(step_times_s[:quarter])
        last = statistics.median(step_times_s[-quarter:])
        if last > 0 and first / last - 1 > RISING_FRACTION:
            warnings.append(
                f"throughput still rising at end of window (+{first / last - 1:.0%} first to last quarter)"
            )
    return warnings
