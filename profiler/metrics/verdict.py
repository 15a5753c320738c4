"""What limits a run, in plain words, from its phase split (``profiler.metrics.phases``).

Three verdicts, checked in this order:

- **input-bound** when getting the batch onto the device (data wait + host-to-device copy)
  takes at least ``INPUT_BOUND_FRACTION`` (25%) of the step. By Amdahl's law a perfect input
  pipeline would then make the step at least 1/(1 - 0.25) = 1.33x faster: larger than the
  5-25% run-to-run spread of a shared machine, so the advice is worth acting on. Below it,
  the gain is within the noise and the verdict goes by the compute part.
- **launch-bound** (accelerators only) when the host waited on the device for less than
  ``LAUNCH_BOUND_WAIT_SHARE`` (20%) of the compute part of a sampled step. The host issues a
  phase's kernels while the device runs them; if it then hardly waits, the device's work took
  at most about 1/(1 - 0.2) = 1.25x the host's issuing time, so the device spends much of
  each step waiting for launches and a faster host side (fewer, larger kernels) is what helps.
- **compute-bound** otherwise: forward, backward and the optimizer on the device (on the
  CPU, the cores) are the step.

A verdict rests on at least ``MIN_VERDICT_SAMPLES`` sampled steps and says how many
("input-bound (from 14 sampled steps): ..."); one sampled step is noise (the forward share of
identical runs moved 35/26/24%). ``verdict`` returns None without a phase split or below that
count; ``verdict_pending`` then says why in words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from profiler.metrics.phases import DATA_WAIT, H2D_COPY, device_wait_share, input_fraction

INPUT_BOUND, COMPUTE_BOUND, LAUNCH_BOUND = "input-bound", "compute-bound", "launch-bound"
INPUT_BOUND_FRACTION = 0.25
LAUNCH_BOUND_WAIT_SHARE = 0.20
#: fewest sampled steps a verdict rests on
MIN_VERDICT_SAMPLES = 5


@dataclass(frozen=True)
class Verdict:
    """``kind`` (input-bound, compute-bound, launch-bound) and ``message``, one sentence for a
    user; the figures it rests on are ``input_fraction`` (of the step) and
    ``device_wait_share`` (of the compute part; None on the CPU); ``samples`` is how many
    sampled steps the split averages (the message says it)."""

    kind: str
    message: str
    input_fraction: float
    device_wait_share: float | None
    samples: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_accelerator_id(device: str) -> bool:
    """True for a device id that runs asynchronously from the host (``cuda:0``, ``mps``)."""
    return device.split(":", 1)[0] not in ("cpu", "meta", "")


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.0f}%"


def _either(options: list[str]) -> str:
    """``a``, ``a or b``, ``a, b, or c``."""
    if len(options) <= 2:
        return " or ".join(options)
    return ", ".join(options[:-1]) + ", or " + options[-1]


def _input_advice(summary: Mapping[str, Any], accelerator: bool, input_pipeline: bool,
                  workers: int, pin_memory: bool) -> str:
    if not input_pipeline:
        return "the batches come from a generator in the training loop; make them cheaper or prefetch them"
    fraction = summary.get("fraction") or {}
    if accelerator and (fraction.get(H2D_COPY) or 0.0) > (fraction.get(DATA_WAIT) or 0.0):
        tips = [] if pin_memory else ["pinned memory (pin_memory=True) so the copy overlaps"]
        tips.append("the dataset on the device")
        return "most of it is the copy to the device; try " + _either(tips)
    tips = [f"more loader workers (you have {workers})"]
    if accelerator:
        if not pin_memory:
            tips.append("pinned memory")
        tips.append("the dataset on the device")
    else:
        tips.append("cheaper per-sample work in the Dataset")
    return "try " + _either(tips)


def sample_count(summary: Mapping[str, Any]) -> int:
    """How many sampled steps a split averages (its kept samples)."""
    kept = summary.get("kept_samples")
    if isinstance(kept, int) and not isinstance(kept, bool):
        return kept
    samples = summary.get("samples")
    return len(samples) if isinstance(samples, (list, tuple)) else 0


def verdict_pending(summary: Mapping[str, Any] | None) -> str:
    """Why a split has no verdict yet, in words ("" when it has enough samples for one)."""
    if not summary or not summary.get("mean_s"):
        return "no verdict: no step was sampled phase by phase"
    n = sample_count(summary)
    if n < MIN_VERDICT_SAMPLES:
        return (f"no verdict yet: {n} sampled step{'' if n == 1 else 's'} of the {MIN_VERDICT_SAMPLES} "
                "a verdict needs")
    return ""


def verdict(summary: Mapping[str, Any] | None, device: str, input_pipeline: bool = False,
            loader_workers: int = 0, pin_memory: bool = False) -> Verdict | None:
    """The verdict on a run's phase split (``phase_summary`` output); None without one or with
    fewer than ``MIN_VERDICT_SAMPLES`` sampled steps.

    ``device`` is the run's device id; ``input_pipeline``, ``loader_workers`` and
    ``pin_memory`` are its spec's input settings, used to pick the advice.
    """
    if verdict_pending(summary):
        return None
    assert summary is not None
    n = sample_count(summary)
    basis = f"(from {n} sampled steps)"
    accelerator = is_accelerator_id(device)
    feed = input_fraction(summary)
    wait = device_wait_share(summary)
    if feed >= INPUT_BOUND_FRACTION:
        advice = _input_advice(summary, accelerator, input_pipeline, loader_workers, pin_memory)
        return Verdict(INPUT_BOUND, f"input-bound {basis}: {_pct(feed)} of each step waits for data; {advice}",
                       feed, wait, n)
    if accelerator and wait is not None and wait < LAUNCH_BOUND_WAIT_SHARE:
        return Verdict(LAUNCH_BOUND,
                       f"launch-bound {basis}: the host waited on the device for only {_pct(wait)} of the compute "
                       "time, so the device mostly waits for the host; many small kernels; try a larger batch "
                       "or torch.compile", feed, wait, n)
    where = "the device" if accelerator else "the CPU cores"
    return Verdict(COMPUTE_BOUND,
                   f"compute-bound {basis}: {_pct(1.0 - feed)} of each step is forward, backward and optimizer on "
                   f"{where}; input takes {_pct(feed)}", feed, wait, n)
