"""Where an accelerator overtakes the CPU as a knob grows (batch size, width, ...).

Curves map a knob value (> 0) to samples/s. Between swept points the log of the
throughput ratio is interpolated linearly in the log of the knob, so a crossover between
64 and 4096 lands at a geometric, not arithmetic, in-between value.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

Curve = Mapping[float, "float | None"]

CROSSES = "crosses"
ALWAYS = "always"  # the accelerator is ahead at every common point
NEVER = "never"  # the accelerator never gets ahead in the swept range
UNKNOWN = "unknown"  # fewer than one common measured point


@dataclass(frozen=True)
class Crossover:
    """Result of comparing an accelerator curve against a baseline (CPU) curve.

    ``knob_value`` is the interpolated break-even point (only for ``CROSSES``);
    ``stays_ahead`` is False when the accelerator falls behind again at a larger value.
    """

    kind: str
    knob_value: float | None
    message: str
    stays_ahead: bool = True


def _common(baseline: Curve, accel: Curve) -> list[tuple[float, float]]:
    """(knob, log ratio accel/baseline) at knob values both measured, ascending."""
    points = []
    for knob in sorted(set(baseline) & set(accel)):
        b, a = baseline[knob], accel[knob]
        if knob > 0 and b and a and b > 0 and a > 0:
            points.append((float(knob), math.log(a / b)))
    return points


def find_crossover(baseline: Curve, accel: Curve, knob: str = "knob",
                   accel_name: str = "accelerator", baseline_name: str = "cpu") -> Crossover:
    """The knob value where ``accel`` first overtakes ``baseline`` (see module doc)."""
    points = _common(baseline, accel)
    if not points:
        return Crossover(UNKNOWN, None, f"no {knob} value was measured on both "
                         f"{baseline_name} and {accel_name}")
    lo, hi = points[0][0], points[-1][0]
    if all(d > 0 for _, d in points):
        return Crossover(ALWAYS, None, f"{accel_name} is faster than {baseline_name} at every "
                         f"measured {knob} ({lo:g}..{hi:g})")
    for (x0, d0), (x1, d1) in itertools.pairwise(points):
        if d0 <= 0 < d1:
            frac = -d0 / (d1 - d0)
            at = math.exp(math.log(x0) + frac * (math.log(x1) - math.log(x0)))
            stays = all(d > 0 for x, d in points if x >= x1)
            tail = "" if stays else f", but falls behind again by {hi:g}"
            return Crossover(CROSSES, at, f"{accel_name} overtakes {baseline_name} at "
                             f"{knob} ~ {at:.4g} (between {x0:g} and {x1:g}){tail}", stays)
    best = max(points, key=lambda p: p[1])
    return Crossover(NEVER, None, f"{accel_name} never overtakes {baseline_name} for {knob} in "
                     f"{lo:g}..{hi:g} (closest: {math.exp(best[1]):.2f}x at {best[0]:g})")
