"""Was the machine busy? One verdict per run, decided in one place: ``judge``.

Other processes' share of the CPU is measured at every telemetry sample of a run (host busy
minus this run's process, percent of ALL logical CPUs, 0-100): before the timed window (build
and warm-up) and throughout it. A run is **contended** when the median of those samples over
the timed window is above ``CONTENDED_OTHERS_PERCENT`` points of the machine. The verdict
carries its figures: others' median and p90 over the window, their median before it, the
1-minute load average and the CPU clock (MHz), so every view can say why.

A contended run's figures are not this hardware's capability: the headline says so instead
of a claim, no speedup is headlined against it, and it never calibrates a projection. Results
stored before per-sample figures were kept are judged on their window mean (``basis`` says so).
The entry point is ``profiler.results.result.contention_of(RunResult)`` (results sit above
metrics); ``contention_of_dict`` here is the same verdict at dict edges.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from profiler import units
from profiler.metrics import keys
from profiler.metrics.cpu_share import CONTENDED_POINTS, contended_points, cpu_shares

#: others' median share of the machine (percent of all logical CPUs) over the timed window above
#: which a run is contended (``cpu_share.CONTENDED_POINTS``, 15): room for light background work,
#: and still one other busy core on a machine of up to 6 cores (one core: 50 points on 2 cores,
#: 25 on 4, 16.7 on 6, 12.5 on 8)
CONTENDED_OTHERS_PERCENT = CONTENDED_POINTS
#: how long a run waits for quiet by default before it runs anyway (s), when a person is watching
DEFAULT_WAIT_S = 60.0
#: the one short tag every view puts beside a contended run's figures
BUSY_TAG = "busy machine"
#: what a contended run's figures are, in the headline's words
NOT_CAPABILITY = "measured on a busy machine: not this hardware's capability"

State = Literal["contended", "quiet", "unknown"]


@dataclass(frozen=True)
class OthersStats:
    """Other processes' share of the machine (percent of all logical CPUs) over some samples;
    figures are None when no sample had both readings."""

    samples: int = 0
    median_percent: float | None = None
    p90_percent: float | None = None
    mean_percent: float | None = None
    max_percent: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> OthersStats | None:
        """Rebuild from ``to_dict``; None for anything that is not such a dict."""
        if not isinstance(data, Mapping):
            return None
        figures = {k: _finite(data.get(k)) for k in ("median_percent", "p90_percent", "mean_percent", "max_percent")}
        samples = data.get("samples")
        return cls(samples if isinstance(samples, int) and not isinstance(samples, bool) else 0, **figures)


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def quantile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0-1) of ``values``, linearly interpolated; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def others_of_sample(sample: Mapping[str, Any]) -> float | None:
    """Others' share (percent of the machine) in one host reading: ``cpu_util_percent`` minus
    ``process_cpu_share_percent`` (this run's process on the same scale), within 0-100."""
    host = _finite(sample.get("cpu_util_percent"))
    own = _finite(sample.get("process_cpu_share_percent"))
    if host is None or own is None:
        return None
    return min(100.0, max(0.0, host - own))


def others_stats(samples: Sequence[Mapping[str, Any]]) -> OthersStats:
    """Median, p90, mean and max of others' share over host readings (``HostReader.read``)."""
    values = [v for v in (others_of_sample(s) for s in samples) if v is not None]
    if not values:
        return OthersStats()
    return OthersStats(len(values), quantile(values, 0.5), quantile(values, 0.9), sum(values) / len(values),
                       max(values))


@dataclass(frozen=True)
class Contention:
    """Was the machine busy during a run's timed window? ``state``: "contended" (others' median
    above ``threshold_percent``), "quiet", or "unknown" (no reading). Shares are percent of all
    logical CPUs; ``load_avg_1m`` is the highest 1-minute load average seen in the window (runnable
    threads, this run's included); ``clock_mhz`` the mean CPU clock over the window (None: n/a)."""

    state: State
    threshold_percent: float = CONTENDED_OTHERS_PERCENT
    others_median_percent: float | None = None
    others_p90_percent: float | None = None
    others_before_percent: float | None = None
    samples: int = 0
    load_avg_1m: float | None = None
    logical_cpus: int | None = None
    clock_mhz: float | None = None
    basis: str = ""
    #: "measured" when ``clock_mhz`` is the run's measured all-core clock (CPU peak), else ""
    clock_how: str = ""

    @property
    def contended(self) -> bool:
        return self.state == "contended"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "contended": self.contended}

    def figures(self) -> str:
        """"others' CPU median 52%, p90 70% (before the window 48%) · load 3.1 on 2 CPUs · clock 2.90 GHz"."""
        p90 = f", p90 {units.pct(self.others_p90_percent)}" if self.others_p90_percent is not None else ""
        before = (f" (before the window {units.pct(self.others_before_percent)})"
                  if self.others_before_percent is not None else "")
        return (f"others' CPU median {units.pct(self.others_median_percent)}{p90}{before} · "
                f"{load_words(self.load_avg_1m, self.logical_cpus)} · {clock_words(self.clock_mhz, self.clock_how)}")

    def warning(self) -> str | None:
        """The result's warning for a contended run (starts "contended:"), else None."""
        if not self.contended:
            return None
        return (f"contended: other processes used a median {units.pct(self.others_median_percent)} of the CPU "
                f"during the timed window (above {self.threshold_percent:.0f}%); {NOT_CAPABILITY}")

    def quiet_line(self) -> str:
        """One line on how quiet the machine was, for the run summary."""
        verdict = {"contended": f"BUSY ({BUSY_TAG}: figures are not this hardware's capability)",
                   "quiet": "quiet", "unknown": "not measured"}[self.state]
        return f"{verdict}: {self.figures()} (busy above {self.threshold_percent:.0f}%; {self.basis})"


def load_words(load_avg_1m: float | None, cpus: int | None) -> str:
    """"load 3.1 on 2 CPUs" (n/a where the OS has no load average)."""
    load = f"{load_avg_1m:.1f}" if load_avg_1m is not None else units.NA
    return f"load {load} on {cpus} CPUs" if cpus else f"load {load}"


def clock_words(clock_mhz: float | None, how: str = "") -> str:
    """"clock 2.90 GHz (measured)" ("clock n/a" where it is neither measured nor exposed, as in many VMs)."""
    if not clock_mhz:
        return f"clock {units.NA}"
    return f"clock {clock_mhz / 1000:.2f} GHz" + (f" ({how})" if how else "")


def judge(window: OthersStats | None, before: OthersStats | None = None, mean_fallback: float | None = None,
          load_avg_1m: float | None = None, logical_cpus: int | None = None, clock_mhz: float | None = None,
          clock_how: str = "", threshold_percent: float | None = None) -> Contention:
    """The decision: contended when others' median over the window (else, for results stored
    before medians were kept, their window mean) is above ``threshold_percent`` (None: the one in
    force, ``cpu_share.contended_points``)."""
    if threshold_percent is None:
        threshold_percent = contended_points()
    if window is not None and window.median_percent is not None:
        median, p90, n = window.median_percent, window.p90_percent, window.samples
        basis = f"median of {n} samples over the timed window"
    elif mean_fallback is not None:
        median, p90, n = mean_fallback, None, 0
        basis = "mean over the timed window (stored before per-sample figures were kept)"
    else:
        return Contention("unknown", threshold_percent, None, None, before.median_percent if before else None, 0,
                          load_avg_1m, logical_cpus, clock_mhz, "no CPU readings in the timed window", clock_how)
    state: State = "contended" if median > threshold_percent else "quiet"
    return Contention(state, threshold_percent, median, p90, before.median_percent if before else None, n,
                      load_avg_1m, logical_cpus, clock_mhz, basis, clock_how)


def contention_of_dict(run: Mapping[str, Any]) -> Contention:
    """The verdict of ``results.result.contention_of`` for a result dict at the JSON/SQLite edge
    (``RunResult.to_dict``, a history row, an imported file) and for the views that still take
    dicts: the raw ``others_cpu`` record, else the stored window mean (``other_cpu_percent`` /
    the host telemetry), else a stored ``contention`` dict; the decision is ``judge``'s."""
    raw = run.get("others_cpu")
    raw = raw if isinstance(raw, Mapping) else {}
    window, before = OthersStats.from_dict(raw.get("window")), OthersStats.from_dict(raw.get("before"))
    telemetry = run.get("telemetry")
    telemetry = telemetry if isinstance(telemetry, Mapping) else {}
    env = run.get("environment")
    cpus = env.get("logical_cpus") if isinstance(env, Mapping) else None
    cpus = cpus if isinstance(cpus, int) and not isinstance(cpus, bool) and cpus > 0 else None
    stored = run.get("contention")
    stored = stored if isinstance(stored, Mapping) else {}
    mean = _finite(run.get("other_cpu_percent"))
    if mean is None and telemetry:
        mean = cpu_shares(telemetry, cpus).others_percent
    if window is None and mean is None and _finite(stored.get("others_median_percent")) is not None:
        window = OthersStats(int(stored.get("samples") or 0), _finite(stored.get("others_median_percent")),
                             _finite(stored.get("others_p90_percent")))
    load = _stat(telemetry, "load_avg_1m", "max")
    clock, how = measured_clock_mhz(run), "measured"
    if clock is None:
        clock, how = _stat(telemetry, "cpu_freq_mhz", "mean"), ""
    if clock is None:
        clock, how = _finite(stored.get("clock_mhz")), str(stored.get("clock_how") or "")
    return judge(window, before, mean, load if load is not None else _finite(stored.get("load_avg_1m")),
                 cpus or _int(stored.get("logical_cpus")), clock, how)


def measured_clock_mhz(run: Mapping[str, Any]) -> float | None:
    """The all-core clock a CPU run measured for its hardware peak (MHz), else None."""
    inputs = run.get("peak_inputs")
    if str(run.get("device") or "cpu").split(":")[0] != "cpu" or not isinstance(inputs, Mapping):
        return None
    ghz = _finite(inputs.get("clock_ghz"))
    return ghz * 1000 if ghz and str(inputs.get("clock_method") or "").startswith("measured") else None


def _stat(telemetry: Mapping[str, Any], reading: str, which: str) -> float | None:
    try:
        return _finite(keys.stat(telemetry, keys.HOST, reading, which))
    except (AttributeError, TypeError):
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def is_contended(run: Mapping[str, Any]) -> bool:
    """``contention_of_dict(run).contended``: for a dict-based view that only needs the flag."""
    return contention_of_dict(run).contended
