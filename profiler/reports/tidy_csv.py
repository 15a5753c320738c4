"""A tidy CSV of runs: one row per run, one column per metric, units in the column names.

Numbers are raw (samples/s, FLOP/s, bytes, seconds, joules; MFU and spread as fractions),
blank where n/a; the speedup column is filled only for runs comparable with the baseline
(``speedup_kind`` and ``speedup_note`` say what is compared or why not); ``contended`` is
"yes" for a run measured on a busy machine (``metrics.contention``), with others' CPU share
(percent of all CPUs) over its timed window. Text a
spreadsheet would run as a formula is quoted.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Mapping, Sequence
from typing import Any

from profiler.analysis.compare import compare
from profiler.analysis.value import PriceBook
from profiler.metrics.contention import contention_of_dict
from profiler.metrics.memory import peak_memory
from profiler.metrics.naming import part
from profiler.metrics.quality import partial_reason

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = (
    "run_id", "name", "origin", "status", "partial", "contended", "others_cpu_median_percent",
    "others_cpu_p90_percent", "started_at", "device", "device_name", "host",
    "workload", "model", "settings", "size", "knobs", "batch_size", "precision", "threads",
    "input_pipeline", "loader_workers", "pin_memory",
    "samples_per_s", "achieved_flops_per_s", "mfu", "mfu_ceiling", "peak_flops_per_s", "peak_source",
    "ceiling_flops_per_s",
    "step_time_median_s", "step_time_p5_s", "step_time_p95_s", "timed_steps", "timed_s",
    "warmup_steps", "peak_memory_bytes", "energy_j", "samples_per_j", "samples_per_money",
    "currency", "baseline", "speedup", "speedup_kind", "speedup_note", "repeat_spread",
    "input_wait_fraction", "verdict", "verdict_samples", "verdict_message", "warnings",
)


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def _row(run: Mapping[str, Any], row: Any, baseline_id: str, currency: str) -> dict[str, Any]:
    spec = part(run, "spec")
    info = part(run, "device_info")
    env = part(run, "environment")
    st = part(run, "step_time_s")
    started = run.get("started_at")
    knobs = spec.get("knobs") or {}
    busy = contention_of_dict(run)
    verdict = part(run, "verdict")
    return {
        "run_id": row.run_id, "name": row.label, "origin": row.origin, "status": row.status,
        "partial": partial_reason(run),
        "contended": busy.contended if busy.state != "unknown" else None,
        "others_cpu_median_percent": busy.others_median_percent, "others_cpu_p90_percent": busy.others_p90_percent,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)) if started else None,
        "device": row.device, "device_name": info.get("name"), "host": env.get("hostname"),
        "workload": row.workload, "model": row.model, "settings": row.settings,
        "size": run.get("size") or spec.get("size"),
        "knobs": " ".join(f"{k}={v}" for k, v in sorted(dict(knobs).items())),
        "batch_size": run.get("batch_size") or spec.get("batch_size"),
        "precision": run.get("precision") or spec.get("precision"),
        "threads": spec.get("threads") or env.get("torch_threads"),
        "input_pipeline": bool(spec.get("input_pipeline")),
        "loader_workers": spec.get("loader_workers") if spec.get("input_pipeline") else None,
        "pin_memory": spec.get("pin_memory") if spec.get("input_pipeline") else None,
        "samples_per_s": row.samples_per_s, "achieved_flops_per_s": row.achieved_flops_per_s,
        "mfu": row.mfu, "mfu_ceiling": run.get("mfu_ceiling"),
        "peak_flops_per_s": run.get("peak_flops_per_s"), "peak_source": run.get("peak_source"),
        "ceiling_flops_per_s": run.get("ceiling_flops_per_s"),
        "step_time_median_s": st.get("median"), "step_time_p5_s": st.get("p5"),
        "step_time_p95_s": st.get("p95"), "timed_steps": run.get("timed_steps"),
        "timed_s": run.get("timed_s"), "warmup_steps": run.get("warmup_steps"),
        "peak_memory_bytes": peak_memory(run)[0], "energy_j": run.get("energy_j"),
        "samples_per_j": row.samples_per_j, "samples_per_money": row.samples_per_dollar,
        "currency": currency, "baseline": row.run_id == baseline_id,
        "speedup": row.speedup if row.comparable else None,
        "speedup_kind": row.speedup_kind if row.run_id != baseline_id else "baseline",
        "speedup_note": row.speedup_note, "repeat_spread": row.spread,
        "input_wait_fraction": run.get("input_wait_fraction"), "verdict": verdict.get("kind"),
        "verdict_samples": verdict.get("samples"), "verdict_message": verdict.get("message"),
        "warnings": "; ".join(str(w) for w in run.get("warnings") or ()),
    }


def runs_csv(runs: Sequence[Mapping[str, Any]], baseline: str | None = None,
             prices: PriceBook | None = None) -> str:
    """The tidy CSV of ``runs`` (result dicts), speedups against ``baseline`` (default: the
    engine's pick). An empty list gives the header only."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    if runs:
        comparison = compare(runs, baseline, prices)
        for run, row in zip(runs, comparison.rows, strict=True):
            writer.writerow({k: _cell(v) for k, v in _row(run, row, comparison.baseline_id,
                                                            comparison.currency).items()})
    return out.getvalue()
