"""Throughput, FLOP/s and MFU over a set of timed steps: one definition for every view.

A final result feeds every timed step; a live view feeds the steps of the last
``LIVE_WINDOW_S`` seconds (``live_window``). Warm-up and compile steps are never fed.

MFU is counted FLOP/s over the hardware's peak for the run's dtype (``mfu``); beside it,
``mfu_ceiling`` is the same FLOP/s over the best GEMM measured on this machine. See
docs/METRICS.md for the definition and the FLOP conventions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from profiler import units

#: live figures cover the timed steps of the last seconds, but never fewer than this many steps
LIVE_WINDOW_S = 2.0
LIVE_MIN_STEPS = 3
#: an MFU above this cannot be right: the peak it is measured against is too low
MFU_PLAUSIBLE = 1.0

#: (t_s at the step's end, step_time_s, samples) of one timed step
Step = tuple[float, float, int]


@dataclass(frozen=True)
class Figures:
    """Figures over ``steps`` timed steps taking ``window_s`` seconds; None is n/a.

    ``mfu`` is achieved FLOP/s over the hardware peak the caller passes, ``mfu_ceiling`` over
    the best GEMM measured here; ``basis`` names the window in words.
    """

    steps: int
    window_s: float
    samples: int
    samples_per_s: float | None
    flops_per_s: float | None
    mfu: float | None
    mfu_ceiling: float | None
    basis: str

    @property
    def tflops(self) -> float | None:
        return None if self.flops_per_s is None else self.flops_per_s / 1e12


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or None when either is n/a or the denominator is 0."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def figures(
    step_times_s: Sequence[float],
    samples_per_step: int | Sequence[int],
    flops_per_step: float | None = None,
    peak_flops_per_s: float | None = None,
    ceiling_flops_per_s: float | None = None,
    basis: str = "",
) -> Figures:
    """Figures over these timed steps. ``samples_per_step`` is one count or one per step."""
    n = len(step_times_s)
    samples = samples_per_step * n if isinstance(samples_per_step, int) else int(sum(samples_per_step))
    return totals_figures(n, float(sum(step_times_s)), samples, flops_per_step, peak_flops_per_s,
                          ceiling_flops_per_s, basis)


def totals_figures(
    steps: int,
    window_s: float,
    samples: int,
    flops_per_step: float | None = None,
    peak_flops_per_s: float | None = None,
    ceiling_flops_per_s: float | None = None,
    basis: str = "",
) -> Figures:
    """Figures from running totals: ``steps`` steps of ``samples`` samples in ``window_s``
    seconds of step time (what ``figures`` computes, for callers that keep only sums)."""
    samples_per_s = samples / window_s if window_s > 0 and samples > 0 else None
    flops_per_s = flops_per_step * steps / window_s if window_s > 0 and flops_per_step else None
    return Figures(
        steps=steps, window_s=window_s, samples=samples, samples_per_s=samples_per_s,
        flops_per_s=flops_per_s, mfu=ratio(flops_per_s, peak_flops_per_s),
        mfu_ceiling=ratio(flops_per_s, ceiling_flops_per_s),
        basis=basis or f"whole timed window ({steps} steps)",
    )


def live_window(steps: Sequence[Step], window_s: float = LIVE_WINDOW_S,
                min_steps: int = LIVE_MIN_STEPS) -> Sequence[Step]:
    """The tail of ``steps`` that ended within ``window_s`` of the last one (at least
    ``min_steps`` of them, or all there are)."""
    if not steps:
        return steps
    end = steps[-1][0]
    start = len(steps)
    while start > 0 and (len(steps) - start < min_steps or end - steps[start - 1][0] <= window_s):
        start -= 1
    return steps[start:]


def live_figures(
    steps: Sequence[Step],
    timed_steps: int,
    flops_per_step: float | None = None,
    peak_flops_per_s: float | None = None,
    ceiling_flops_per_s: float | None = None,
) -> Figures | None:
    """Figures of the last seconds of a running run (``steps`` = its recent timed steps,
    ``timed_steps`` = how many it has measured in all); None before the first timed step."""
    recent = live_window(steps)
    if not recent:
        return None
    span = sum(dt for _, dt, _ in recent)
    return figures(
        [dt for _, dt, _ in recent], [s for _, _, s in recent], flops_per_step,
        peak_flops_per_s, ceiling_flops_per_s,
        basis=f"last {span:.1f} s ({len(recent)} of {timed_steps} steps)",
    )


#: a warning that starts with this is a bug report, not a caveat (the window shows it as an error)
ERROR_PREFIX = "ERROR: "


def mfu_alarm(figs: Figures, flops_per_step: float | None, peak_flops_per_s: float | None,
              peak_source: str | None) -> str | None:
    """An error-level warning when MFU exceeds 100% of the hardware peak (a wrong FLOP count or
    a wrong peak: no run can beat the hardware), else None."""
    if figs.mfu is None or figs.mfu <= MFU_PLAUSIBLE:
        return None
    return (f"{ERROR_PREFIX}MFU {units.percent(figs.mfu, 0)} of the hardware peak is impossible: either the FLOP "
            f"count ({units.flop(flops_per_step)} per step, {units.flops(figs.flops_per_s)} achieved) or the peak "
            f"({units.flops(peak_flops_per_s)}, {peak_source or 'source unknown'}) is wrong; please report it")


def tokens_per_s(samples_per_s: float | None, tokens_per_sample: int | None) -> float | None:
    """Tokens per second of a sequence model (None unless both are known)."""
    if samples_per_s is None or not tokens_per_sample:
        return None
    return samples_per_s * tokens_per_sample
