"""Where a training step's time goes: the per-phase split of sampled steps, summarized.

The runner (``profiler.runner.phases``) times a sampled subset of timed steps phase by phase
and keeps the raw samples in a ``PhaseRecord``; this module turns that record into the
figures every view shows (``phase_summary``): mean seconds per phase, each phase's fraction
of the step, how many steps were sampled and what sampling cost.

Phases, in stacking order (a sample holds only the phases that apply to its run):

- ``data_wait``: getting the next batch (the DataLoader or the device-resident pool); on the
  CPU it includes the (no-op) copy to the device.
- ``h2d_copy``: accelerators fed from host memory: the copy to the device, until it finished.
- ``forward``: the forward pass and the loss.
- ``backward``: ``zero_grad`` and the backward pass.
- ``optimizer``: the optimizer step (and the grad scaler's update).
- ``device_wait``: accelerators: the host blocked on the device after issuing forward,
  backward and optimizer; those three phases are then the host's time issuing them (Python,
  dispatch, kernel launches).

A sample's phases add up to that sampled step's time (seconds, ``time.perf_counter``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from profiler import units

DATA_WAIT, H2D_COPY, FORWARD, BACKWARD, OPTIMIZER, DEVICE_WAIT = (
    "data_wait", "h2d_copy", "forward", "backward", "optimizer", "device_wait")
PHASES = (DATA_WAIT, H2D_COPY, FORWARD, BACKWARD, OPTIMIZER, DEVICE_WAIT)
#: phases whose work runs on the device; on an accelerator their waits go to ``device_wait``
COMPUTE_PHASES = (FORWARD, BACKWARD, OPTIMIZER)
INPUT_PHASES = (DATA_WAIT, H2D_COPY)
LABELS = {
    DATA_WAIT: "data wait", H2D_COPY: "host-to-device copy", FORWARD: "forward",
    BACKWARD: "backward", OPTIMIZER: "optimizer", DEVICE_WAIT: "device wait",
}
SHORT_LABELS = {
    DATA_WAIT: "data", H2D_COPY: "copy", FORWARD: "fwd", BACKWARD: "bwd",
    OPTIMIZER: "optim", DEVICE_WAIT: "dev wait",
}


@dataclass
class PhaseRecord:
    """Raw phase samples of one run (``RunResult.phase_record``).

    ``every_n_steps`` and ``min_interval_s`` are the sampling plan (on average a sampled step
    follows that many timed steps, and no more often than once per that many seconds);
    ``sampled_steps`` counts every sampled step, ``samples`` keeps up to a bound of them
    (evenly thinned beyond it), each ``{phase: seconds}``. ``in_timed_window``: the sampled
    steps are timed steps too (CPU); False when they were left out of it (accelerators, where
    the synchronization between phases slows them).
    """

    every_n_steps: int
    min_interval_s: float
    sampled_steps: int = 0
    samples: list[dict[str, float]] = field(default_factory=list)
    in_timed_window: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"every_n_steps": self.every_n_steps, "min_interval_s": self.min_interval_s,
                "sampled_steps": self.sampled_steps, "in_timed_window": self.in_timed_window,
                "samples": [dict(s) for s in self.samples]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PhaseRecord:
        """Rebuild from ``to_dict`` (or ``phase_summary``) output; ValueError on bad content."""
        samples = [_sample(s) for s in data.get("samples") or []]
        every: Any = data.get("every_n_steps")
        interval: Any = data.get("min_interval_s")
        count: Any = data.get("sampled_steps")
        if not _is_count(every) or not _is_seconds(interval) or not _is_count(count):
            raise ValueError("phases needs every_n_steps, min_interval_s and sampled_steps as numbers >= 0")
        inside = data.get("in_timed_window", False)
        if not isinstance(inside, bool):
            raise ValueError("phases in_timed_window must be true or false")
        return cls(int(every), float(interval), max(int(count), len(samples)), samples, inside)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_seconds(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value >= 0)


def _sample(raw: Any) -> dict[str, float]:
    if not isinstance(raw, Mapping) or not raw:
        raise ValueError("a phase sample must map phase names to seconds")
    unknown = sorted(set(raw) - set(PHASES))
    if unknown:
        raise ValueError(f"unknown phase(s) {', '.join(map(str, unknown))[:80]}; phases are {', '.join(PHASES)}")
    if not all(_is_seconds(v) for v in raw.values()):
        raise ValueError("phase times must be finite, non-negative seconds")
    return {name: float(raw[name]) for name in PHASES if name in raw}


def sample_total_s(sample: Mapping[str, float]) -> float:
    """The sampled step's time: the sum of its phases (s)."""
    return float(sum(sample.values()))


def _median(values: Sequence[float]) -> float | None:
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return None
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def phase_summary(record: PhaseRecord | None, step_times_s: Sequence[float]) -> dict[str, Any] | None:
    """The JSON-ready split of a run (``RunResult.to_dict()["phases"]``); None without samples.

    ``mean_s``/``fraction``: mean seconds per phase over the kept samples and its share of the
    mean sampled step (``sampled_step_s``, their sum). ``overhead``: the median sampled step
    over the median timed step, minus 1: what timing phase by phase costs a step (on an
    accelerator, the synchronization between phases; there the sampled steps are not timed
    steps, so the run's throughput does not include it). ``share_of_window``: the part of the
    measuring time spent in sampled steps (within the timed window when ``in_timed_window``).
    """
    if record is None or not record.samples:
        return None
    samples = record.samples
    order = [name for name in PHASES if any(name in s for s in samples)]
    mean_s = {name: sum(s.get(name, 0.0) for s in samples) / len(samples) for name in order}
    step_s = sum(mean_s.values())
    sampled_median = _median([sample_total_s(s) for s in samples])
    timed_median = _median(step_times_s)
    sampled_total = step_s * record.sampled_steps
    window = sum(step_times_s) + (0.0 if record.in_timed_window else sampled_total)
    return {
        "every_n_steps": record.every_n_steps,
        "min_interval_s": record.min_interval_s,
        "sampled_steps": record.sampled_steps,
        "in_timed_window": record.in_timed_window,
        "timed_steps_per_sample": len(step_times_s) / record.sampled_steps if record.sampled_steps else None,
        "kept_samples": len(samples),
        "order": order,
        "mean_s": mean_s,
        "fraction": {name: (value / step_s if step_s > 0 else None) for name, value in mean_s.items()},
        "sampled_step_s": step_s,
        "sampled_step_median_s": sampled_median,
        "timed_step_median_s": timed_median,
        "overhead": sampled_median / timed_median - 1.0 if sampled_median is not None and timed_median else None,
        "share_of_window": sampled_total / window if window > 0 else None,
        "samples": [dict(s) for s in samples],
    }


#: a live split covers the last this many phase samples (about 2 s at the sampling rate cap)
LIVE_SAMPLES = 8


def live_phase_split(samples: Sequence[Mapping[str, float]], last: int = LIVE_SAMPLES) -> dict[str, Any] | None:
    """The split of a running run from its latest ``PhaseSample.phases``: the same figures as
    ``phase_summary`` (``order``, ``mean_s``, ``fraction``, ...) over the last ``last``
    samples; the step-time comparison is None (no timed steps are passed). None before the
    first sample."""
    recent = [_sample(s) for s in samples[-last:]] if last > 0 else []
    return phase_summary(PhaseRecord(0, 0.0, len(recent), recent), []) if recent else None


def input_fraction(summary: Mapping[str, Any]) -> float:
    """Share of the sampled step spent getting the batch onto the device (data wait + copy)."""
    fraction = summary.get("fraction") or {}
    return float(sum(fraction.get(name) or 0.0 for name in INPUT_PHASES))


def device_wait_share(summary: Mapping[str, Any]) -> float | None:
    """Of the compute part of the step (forward, backward, optimizer and the device wait), the
    share the host spent blocked on the device; None when the run had no device wait (CPU)."""
    mean_s = summary.get("mean_s") or {}
    if DEVICE_WAIT not in mean_s:
        return None
    compute = sum(mean_s.get(name, 0.0) for name in (*COMPUTE_PHASES, DEVICE_WAIT))
    return mean_s[DEVICE_WAIT] / compute if compute > 0 else None


def _steps(n: int) -> str:
    return f"{n} step" if n == 1 else f"{n} steps"


def sampling_sentence(summary: Mapping[str, Any]) -> str:
    """How a finished run's split was sampled and what sampling cost, in words (``phase_summary``
    output): the CLI summary's "phase sampling" row and the window's phase-bar tooltip."""
    rate = (f"{_steps(int(summary.get('sampled_steps') or 0))} sampled at random, 1 per "
            f"{units.num(summary.get('timed_steps_per_sample'), 2)} timed steps")
    if summary.get("in_timed_window"):
        return f"{rate}; no synchronization needed, so they stay timed steps"
    overhead = summary.get("overhead")
    sign = "+" if overhead is not None and overhead >= 0 else ""
    return (f"{rate}; synchronized between phases, a sampled step took {sign}{units.percent(overhead, 0)}"
            "; not in the figures")


def live_sampling_sentence(every_n_steps: int, accelerator: bool) -> str:
    """How a running run's split is sampled and what that costs, before the run's summary
    exists (the window's live phase bar): the same facts as ``sampling_sentence``, from the
    spec. ``every_n_steps`` is the spec's ``phase_every`` (0: sampling off)."""
    if every_n_steps <= 0:
        return "phase sampling is off for this run (phase_every 0)"
    if not accelerator:
        return ("up to 4 timed steps a second are timed phase by phase, at random; on the CPU that is a few "
                "clock reads and nothing waits, so they stay timed steps")
    rate = f"about 1 timed step in {every_n_steps} is timed phase by phase, at random and at most a few a second"
    if accelerator:
        return (f"{rate}; each phase boundary synchronizes the device, so a sampled step runs slower and is "
                "left out of the figures (the final split says by how much)")
    return f"{rate}; on the CPU that is a few clock reads and nothing waits, so they stay timed steps"
