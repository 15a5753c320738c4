"""Where a run's step time goes and what limits it, as rows a person reads: the phase split,
the input wait and the verdict with the count of sampled steps it rests on.

One text for every view of a stored or finished run: the HTML report's "Where the time goes"
section, the window's run details pane and the copied details (``details_text``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from profiler import units
from profiler.metrics.naming import part, run_label
from profiler.metrics.phases import LABELS, sampling_sentence
from profiler.metrics.verdict import verdict_pending
from profiler.reports.html_parts import esc, kv, section

Run = Mapping[str, Any]


def input_settings(run: Run) -> str:
    """``DataLoader, 2 workers, pinned memory`` or ``batches made in the training loop``."""
    spec = part(run, "spec")
    if not spec.get("input_pipeline"):
        return "batches made in the training loop (no DataLoader)"
    workers = spec.get("loader_workers")
    workers = 2 if workers is None else int(workers)
    words = [f"DataLoader, {workers} worker{'s' if workers != 1 else ''}"]
    if str(run.get("device") or "cpu") != "cpu":
        words.append("pinned memory" if spec.get("pin_memory", True) else "no pinned memory")
    delay = spec.get("loader_delay_ms")
    if isinstance(delay, (int, float)) and not isinstance(delay, bool) and delay > 0:
        words.append(f"{delay:g} ms added per sample (a demonstration of a slow Dataset)")
    return ", ".join(words)


def diagnosis_rows(run: Run) -> list[tuple[str, str]]:
    """(label, text) rows: the input settings, the split, input wait, sampling and the verdict.
    Empty for a run without a phase split and without an input wait."""
    phases = part(run, "phases")
    rows: list[tuple[str, str]] = []
    wait = run.get("input_wait_fraction")
    if phases.get("mean_s"):
        fraction, mean_s = part(phases, "fraction"), part(phases, "mean_s")
        split = ", ".join(f"{LABELS.get(name, name)} {units.percent(fraction.get(name), 0)} "
                          f"({units.seconds(mean_s.get(name))})" for name in phases.get("order") or ())
        rows.append(("Step phases", split))
        rows.append(("Phase sampling", sampling_sentence(phases)))
    if wait is not None:
        rows.append(("Input wait", f"{units.percent(wait, 0)} of the timed window waiting for the next batch"))
    if not rows:
        return []
    rows.insert(0, ("Input", input_settings(run)))
    found = part(run, "verdict")
    rows.append(("Verdict", str(found.get("message") or verdict_pending(phases) or units.NA)))
    return rows


def diagnosis_section(runs: Sequence[Run], labels: Sequence[str]) -> str:
    """The report's "Where the time goes" section ("" when no run has a split)."""
    parts = []
    for run, label in zip(runs, labels, strict=True):
        rows = diagnosis_rows(run)
        if rows:
            head = f"<h3>{esc(label)}</h3>" if len(runs) > 1 else ""
            parts.append(f'<div class="run">{head}{kv(rows)}</div>')
    return section("Where the time goes", "".join(parts))


def started_text(run: Run) -> str:
    """The run's start, the one way every view shows it: ``2026-12-07 10:58:31`` (local time)."""
    started = run.get("started_at")
    if not isinstance(started, (int, float)) or isinstance(started, bool) or started <= 0:
        return units.NA
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started))


def details_text(run: Run) -> str:
    """A run's details as plain text (the window's details pane, "Copy details"): what ran,
    where, the figures, the diagnosis, when it started."""
    spec = part(run, "spec")
    batch = run.get("batch_size") or spec.get("batch_size")
    rows = [
        ("Run", run_label(run)), ("Run id", str(run.get("run_id") or units.NA)),
        ("Status", str(run.get("status") or units.NA)), ("Started", started_text(run)),
        ("Device", str(run.get("device") or units.NA)),
        ("Batch", str(batch) if batch else units.NA),
        ("Precision", str(run.get("precision") or spec.get("precision") or "fp32")),
        ("Samples/s", units.count(run.get("samples_per_s"))),
        ("FLOP/s", units.flops(run.get("achieved_flops_per_s"))),
        ("MFU", units.share(run.get("mfu"))),
        *diagnosis_rows(run),
    ]
    if run.get("error"):
        rows.append(("Error", str(run["error"])))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)
