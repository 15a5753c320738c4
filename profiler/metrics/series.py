"""Throughput over time for charts of finished runs: timed steps only, smoothed.

A chart of raw per-step samples/s is dominated by single slow or fast steps (a 1 ms step
among 10 ms ones is a spike ten times higher that flattens every other line). These curves
use the one definition of throughput (samples over step time, ``figures``) over a trailing
window of ``window_s`` seconds of steps, start at the timed window (warm-up and compile
steps are left out) and count time from there, so runs with different warm-ups line up.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

#: trailing window of the smoothed curve, seconds of step time
SMOOTH_WINDOW_S = 1.0
#: at most this many points per curve (a long run is thinned, never its figure)
MAX_POINTS = 600


def timed_throughput(
    t_s: Sequence[float],
    step_time_s: Sequence[float],
    samples: Sequence[int],
    stage: Sequence[str],
    window_s: float = SMOOTH_WINDOW_S,
    max_points: int = MAX_POINTS,
) -> tuple[list[float], list[float]]:
    """(seconds since the timed window began, samples/s over the trailing ``window_s``) per
    timed step, thinned to at most ``max_points`` points. Columns are one entry per step."""
    xs: list[float] = []
    ys: list[float] = []
    recent: deque[tuple[float, int]] = deque()
    span, count, start = 0.0, 0, None
    for t, dt, n, st in zip(t_s, step_time_s, samples, stage, strict=True):
        if st != "timed" or dt <= 0:
            continue
        if start is None:
            start = float(t) - float(dt)
        recent.append((float(dt), int(n)))
        span += dt
        count += n
        while len(recent) > 1 and span - recent[0][0] >= window_s:
            old_dt, old_n = recent.popleft()
            span -= old_dt
            count -= old_n
        xs.append(float(t) - start)
        ys.append(count / span)
    if len(xs) > max_points:
        every = -(-len(xs) // max_points)
        xs, ys = xs[every - 1 :: every], ys[every - 1 :: every]
    return xs, ys


def series_throughput(series: dict[str, object], window_s: float = SMOOTH_WINDOW_S) -> tuple[list[float], list[float]]:
    """``timed_throughput`` of a stored run's series (``HistoryStore.series`` layout)."""
    steps = series.get("steps") if isinstance(series, dict) else None
    if not isinstance(steps, dict) or not steps.get("t_s"):
        return [], []
    return timed_throughput(steps["t_s"], steps["step_time_s"], steps["samples"], steps["stage"],
                            window_s)
