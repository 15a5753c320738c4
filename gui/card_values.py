"""What the summary cards show for one run, live or final, and why a figure is n/a. Qt-free.

Built on the GUI thread from the ``SeriesStore`` (live: timed steps so far, see
``gui.ingest.LiveFigures``) or from a finished result dict (``RunResult.to_dict``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gui import ingest
from gui.series import SeriesStore

FAILED = ("failed", "oom", "interrupted")
MFU_PLAUSIBLE = 1.0  # above this the peak probe under-measured
NA_WARMING = "n/a: still warming up; figures start with the timed window (warm-up steps never count)."
NA_PREPARING = "n/a: the engine is still building the model and counting its FLOPs."
NA_NO_FLOPS = "n/a: the engine could not count this model's FLOPs."
NA_NO_STEPS = "n/a: the run ended before any timed step was measured."
NA_NO_BASELINE = ("n/a: run the same workload, size, batch and precision on the CPU in this "
                  "session to get a baseline.")


@dataclass(frozen=True)
class CardValues:
    """What the cards show; None means n/a. ``device`` picks the accent colour.

    ``basis`` says where the figures come from ("live · last 2.0 s, 38 steps" or
    "final · 412 steps"); ``na`` maps a metric (samples_per_s, tflops, mfu, speedup) to the
    reason it is n/a; ``warnings`` are the result's quality warnings (noisy, few steps...).
    """

    device: str
    caption: str
    samples_per_s: float | None = None
    flops_per_s: float | None = None
    mfu: float | None = None
    speedup: float | None = None
    live: bool = False
    basis: str = ""
    warming_up: bool = False
    warnings: tuple[str, ...] = ()
    sample_unit: str = "samples"
    flops_per_step: float | None = None
    peak_flops_per_s: float | None = None
    peak_source: str = ""
    baseline_samples_per_s: float | None = None
    batch_size: int | None = None
    params: int | None = None
    failed: bool = False
    na: Mapping[str, str] = field(default_factory=dict)

    @property
    def mfu_warning(self) -> str:
        """Why an MFU above 100% cannot be right, or "" when it is plausible."""
        if self.mfu is None or self.mfu <= MFU_PLAUSIBLE:
            return ""
        return (f"MFU {self.mfu:.0%} is above 100%: the measured peak is too low, most likely "
                "because the matmul probe ran while the machine was busier than during training. "
                "Run again on a quieter machine.")

    @property
    def tflops(self) -> float | None:
        """Achieved TFLOP/s (``flops_per_s`` / 1e12)."""
        return None if self.flops_per_s is None else self.flops_per_s / 1e12


def _mfu_na(peak: float | None, source: str | None, flops_reason: str | None) -> str | None:
    if flops_reason:
        return flops_reason
    if not peak:
        why = f" ({source})" if source else ""
        return f"n/a: no measured peak for this device and precision{why}."
    return None


def live_values(store: SeriesStore, run_id: str, device: str, caption: str,
                baseline: float | None) -> CardValues:
    """Card figures of a running run: timed steps of the last seconds, never warm-up."""
    info = store.scalar(run_id, ingest.DESCRIBED)
    info = info if isinstance(info, dict) else {}
    live = store.scalar(run_id, ingest.LIVE)
    live = live if isinstance(live, ingest.LiveFigures) else None
    phase = store.scalar(run_id, ingest.PHASE)
    warming = live is None
    unit = str(info.get("sample_unit") or "samples")
    if not info:
        flops_reason: str | None = NA_PREPARING
    elif not info.get("flops_per_step"):
        flops_reason = NA_NO_FLOPS
    else:
        flops_reason = NA_WARMING if warming else None
    rate = live.samples_per_s if live else None
    speedup = _speedup(device, rate, baseline)
    na = {
        "samples_per_s": NA_WARMING,
        "tflops": flops_reason or "",
        "mfu": _mfu_na(info.get("peak_flops_per_s"), info.get("peak_source"), flops_reason)
        or NA_WARMING,
        "speedup": NA_WARMING if warming and (baseline or device == "cpu") else NA_NO_BASELINE,
    }
    if live is not None:
        basis = f"live · last {live.window_s:.1f} s ({live.window_steps} of {live.timed_steps} steps)"
    elif phase in ("warmup", "compile"):
        basis = "warming up · not measured yet"
    else:
        basis = "preparing"
    return CardValues(
        device, caption, rate, live.flops_per_s if live else None, live.mfu if live else None,
        speedup, live=True, basis=basis, warming_up=warming, sample_unit=unit,
        flops_per_step=info.get("flops_per_step"), peak_flops_per_s=info.get("peak_flops_per_s"),
        peak_source=str(info.get("peak_source") or ""), baseline_samples_per_s=baseline,
        batch_size=info.get("batch_size"), params=info.get("params"), na=na,
    )


def final_values(result: Mapping[str, Any], caption: str, baseline: float | None,
                 sample_unit: str = "samples") -> CardValues:
    """Card figures of a finished run, from its result dict."""
    rate = result.get("samples_per_s")
    steps = int(result.get("timed_steps") or 0)
    flops_reason = None if result.get("flops_per_step") else NA_NO_FLOPS
    if not steps:
        flops_reason = NA_NO_STEPS
    na = {
        "samples_per_s": NA_NO_STEPS,
        "tflops": flops_reason or "",
        "mfu": _mfu_na(result.get("peak_flops_per_s"), result.get("peak_source"), flops_reason) or "",
        "speedup": NA_NO_STEPS if not steps else NA_NO_BASELINE,
    }
    status = str(result.get("status") or "")
    failed = status in FAILED
    if failed:
        na["speedup"] = f"n/a: the run {status}; a speedup needs a run that completed."
    speedup = None if failed else _speedup(str(result.get("device") or ""), rate, baseline)
    return CardValues(
        str(result.get("device") or ""), caption, rate, result.get("achieved_flops_per_s"),
        result.get("mfu"), speedup,
        basis=f"final · {steps} timed steps" + (f" · {status}" if status != "completed" else ""),
        warnings=tuple(str(w) for w in result.get("warnings") or ()), sample_unit=sample_unit,
        flops_per_step=result.get("flops_per_step"), peak_flops_per_s=result.get("peak_flops_per_s"),
        peak_source=str(result.get("peak_source") or ""), baseline_samples_per_s=baseline,
        batch_size=result.get("batch_size") or None, params=result.get("params") or None,
        failed=failed, na=na,
    )


def _speedup(device: str, rate: float | None, baseline: float | None) -> float | None:
    if not rate:
        return None
    if device == "cpu":
        return 1.0  # a CPU run is its own baseline
    return rate / baseline if baseline else None
