"""Where a run's step time goes and what limits it, as rows a person reads: the input settings,
the phase split, the input wait and the verdict with the count of sampled steps it rests on.

One text for every view of a stored or finished run (a ``RunResult``): the HTML report's "Where
the time goes" section, the window's run details pane and the copied details (``details_text``).
``typed`` converts a stored or imported result dict once, at that edge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from profiler import units
from profiler.metrics.phases import LABELS, sampling_sentence
from profiler.metrics.verdict import verdict_pending
from profiler.reports.html_parts import esc, kv, section
from profiler.results.result import RunResult, UnreadableResult, read_result
from profiler.results.spec import RunSpec


def typed(run: Mapping[str, Any]) -> RunResult | None:
    """The ``RunResult`` of a stored or imported result dict; None when it cannot be rebuilt."""
    try:
        return read_result(run)
    except UnreadableResult:
        return None


def input_settings(spec: RunSpec) -> str:
    """``DataLoader, 2 workers, pinned memory`` or ``batches made in the training loop``."""
    if not spec.input_pipeline:
        return "batches made in the training loop (no DataLoader)"
    words = [f"DataLoader, {spec.loader_workers} worker{'s' if spec.loader_workers != 1 else ''}"]
    if spec.device != "cpu":
        words.append("pinned memory" if spec.pin_memory else "no pinned memory")
    if spec.loader_delay_ms > 0:
        words.append(f"{spec.loader_delay_ms:g} ms added per sample (a demonstration of a slow Dataset)")
    return ", ".join(words)


def diagnosis_rows(result: RunResult) -> list[tuple[str, str]]:
    """(label, text) rows: the input settings, the split, input wait, sampling and the verdict.
    Empty for a run with neither a phase split nor an input wait."""
    phases = result.phases
    rows: list[tuple[str, str]] = []
    if phases and phases.get("mean_s"):
        fraction, mean_s = phases["fraction"], phases["mean_s"]
        split = ", ".join(f"{LABELS.get(name, name)} {units.percent(fraction.get(name), 0)} "
                          f"({units.seconds(mean_s.get(name))})" for name in phases["order"])
        rows.append(("Step phases", split))
        rows.append(("Phase sampling", sampling_sentence(phases)))
    wait = result.input_wait_fraction
    if wait is not None:
        rows.append(("Input wait", f"{units.percent(wait, 0)} of the timed window waiting for the next batch"))
    if not rows:
        return []
    rows.insert(0, ("Input", input_settings(result.spec)))
    found = result.verdict(phases)
    rows.append(("Verdict", found.message if found else verdict_pending(phases) or units.NA))
    return rows


def diagnosis_section(results: Sequence[RunResult | None], labels: Sequence[str]) -> str:
    """The report's "Where the time goes" section ("" when no run has a split or input wait)."""
    parts = []
    for result, label in zip(results, labels, strict=True):
        rows = diagnosis_rows(result) if result is not None else []
        if rows:
            head = f"<h3>{esc(label)}</h3>" if len(results) > 1 else ""
            parts.append(f'<div class="run">{head}{kv(rows)}</div>')
    return section("Where the time goes", "".join(parts))


def details_text(result: RunResult) -> str:
    """A run's details as plain text (the window's details pane, "Copy run details"): what ran,
    its verdict and where the step time goes first, then where, the figures, when it started."""
    diagnosis = diagnosis_rows(result)
    verdict = [row for row in diagnosis if row[0] == "Verdict"]
    rows = [
        ("Run", result.name), *verdict, *(row for row in diagnosis if row[0] != "Verdict"),
        ("Run id", result.run_id), ("Status", result.status),
        ("Started", units.started_text(result.started_at)), ("Device", result.spec.device),
        ("Batch", str(result.batch_size) if result.batch_size else units.NA),
        ("Precision", result.spec.precision),
        ("Samples/s", units.count(result.samples_per_s)),
        ("FLOP/s", units.flops(result.achieved_flops_per_s)),
        ("MFU", units.share(result.mfu)),
    ]
    if result.error:
        rows.append(("Error", result.error))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)
