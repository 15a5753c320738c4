"""Head-to-head comparison of runs: the data, separate from any rendering.

Like ``torch.utils.benchmark.Compare``: ``compare`` builds rows, ``render_table`` (here) and
the HTML report / GUI table render them. A row's speedup over the baseline comes from
``profiler.metrics.comparison.speedup``: only between comparable runs (the same model and
settings on another device, or other settings on the same device, labelled); a repeat of
the baseline shows its run-to-run spread; anything else has no speedup and says why. A run
measured on a busy machine (``metrics.contention``) is marked in its row and in the notes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from profiler import units
from profiler.analysis.value import PriceBook, device_value, measured_from_result
from profiler.metrics.comparison import DEVICE, NONE, REPEAT, SETTINGS, speedup
from profiler.metrics.contention import BUSY_TAG, NOT_CAPABILITY, contention_of_dict
from profiler.metrics.naming import distinct_labels, model_part, origin_of, part, settings_part
from profiler.metrics.scaling import world_size_of


@dataclass(frozen=True)
class CompareRow:
    """One run's figures against the baseline.

    ``speedup`` is samples/s over the baseline's, set only when ``speedup_kind`` is
    ``device`` or ``settings``; ``speedup_note`` is what is compared (a label) or why there
    is no speedup (a reason); ``spread`` is the run-to-run difference of a repeat.
    ``label`` is unique within the comparison (legends, bars); ``model`` and ``settings``
    are the config columns.
    """

    run_id: str
    name: str
    device: str
    workload: str
    status: str
    samples_per_s: float | None
    achieved_flops_per_s: float | None
    mfu: float | None
    samples_per_j: float | None
    samples_per_dollar: float | None
    speedup: float | None
    speedup_kind: str = NONE
    speedup_note: str = ""
    spread: float | None = None
    #: a repeat's signed difference from the baseline, (run - baseline) / baseline
    difference: float | None = None
    label: str = ""
    model: str = ""
    settings: str = ""
    origin: str = ""
    sample_unit: str = "samples"

    @property
    def comparable(self) -> bool:
        return self.speedup_kind in (DEVICE, SETTINGS)
    world_size: int = 1  # ranks of a distributed run
    #: measured on a busy machine (``contention_of_dict``); ``busy_figures`` says how busy
    contended: bool = False
    busy_figures: str = ""


@dataclass(frozen=True)
class Comparison:
    rows: tuple[CompareRow, ...]
    baseline_id: str
    currency: str = "USD"

    def to_dict(self) -> dict[str, Any]:
        return {"baseline": self.baseline_id, "currency": self.currency,
                "rows": [asdict(r) for r in self.rows]}

    @property
    def baseline(self) -> CompareRow:
        return next(r for r in self.rows if r.run_id == self.baseline_id)

    def busy_notes(self) -> list[str]:
        """"gpt-S on cpu: measured on a busy machine: not this hardware's capability (others' CPU
        median 52%, ...)", one per contended run (none when every run was quiet)."""
        return [f"{r.label or r.name or r.run_id}: {NOT_CAPABILITY} ({r.busy_figures})"
                for r in self.rows if r.contended]


def comparable_count(run: Mapping[str, Any], runs: Sequence[Mapping[str, Any]]) -> int:
    """How many of ``runs`` have an honest speedup (device or settings) against ``run``."""
    return sum(1 for other in runs if other is not run and speedup(other, run).comparable)


def reference_settings(run: Mapping[str, Any]) -> bool:
    """True for the plain way to run a model: fp32, all cores, eager, no input pipeline."""
    spec = part(run, "spec")
    return (str(run.get("precision") or spec.get("precision") or "fp32") == "fp32" and not spec.get("threads")
            and not any(spec.get(k) for k in ("compile", "channels_last", "input_pipeline")))


def pick_baseline(runs: Sequence[Mapping[str, Any]], baseline: str | None = None) -> str:
    """``baseline`` if given (must be one of the runs); else a CPU run that others can be
    compared with (plain settings first, then the one most can), else the run most others
    are comparable with, else the first run."""
    ids = [str(r["run_id"]) for r in runs]
    if not ids:
        raise ValueError("nothing to compare: no runs given")
    if baseline is not None:
        if baseline not in ids:
            raise ValueError(f"baseline {baseline!r} is not one of the compared runs: {', '.join(ids)}")
        return baseline
    counts = [comparable_count(r, runs) for r in runs]
    scored = [(n > 0, str(r.get("device", "")).startswith("cpu"), reference_settings(r), n, -i)
              for i, (r, n) in enumerate(zip(runs, counts, strict=True))]
    best = max(range(len(runs)), key=lambda i: scored[i])
    return ids[best]


def _speedup_fields(run: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    if str(run["run_id"]) == str(base["run_id"]):
        return {"speedup": None, "speedup_kind": NONE, "speedup_note": "baseline"}
    found = speedup(run, base)
    if found.comparable:
        return {"speedup": found.value, "speedup_kind": found.kind, "speedup_note": found.sentence}
    if found.kind == REPEAT:
        return {"speedup": None, "speedup_kind": REPEAT, "spread": found.spread, "difference": found.difference,
                "speedup_note": "repeat of the baseline: run-to-run spread, not a speedup"}
    return {"speedup": None, "speedup_kind": NONE, "speedup_note": found.reason}


def compare(runs: Sequence[Mapping[str, Any]], baseline: str | None = None,
            prices: PriceBook | None = None) -> Comparison:
    """Rows for ``runs`` (result dicts) in the given order, with honest speedups vs the baseline."""
    base_id = pick_baseline(runs, baseline)
    base = next(r for r in runs if str(r["run_id"]) == base_id)
    prices = prices or PriceBook()
    labels = distinct_labels(runs)
    rows = []
    for run, label in zip(runs, labels, strict=True):
        measured = measured_from_result(run)
        value = device_value(measured, prices.price_for(measured.device), prices.electricity_per_kwh)
        spec = part(run, "spec")
        config = {**spec, "batch_size": run.get("batch_size") or spec.get("batch_size")}
        busy = contention_of_dict(run)
        rows.append(CompareRow(
            run_id=str(run["run_id"]), name=str(run.get("name", "")),
            device=str(run.get("device", "")), workload=str(run.get("workload", "")),
            status=str(run.get("status", "")), samples_per_s=run.get("samples_per_s"),
            achieved_flops_per_s=run.get("achieved_flops_per_s"), mfu=run.get("mfu"),
            samples_per_j=value.samples_per_j, samples_per_dollar=value.samples_per_dollar,
            label=label, model=model_part(config), settings=settings_part(config),
            origin=origin_of(run), sample_unit=str(run.get("sample_unit") or "samples"),
            world_size=world_size_of(run), contended=busy.contended,
            busy_figures=busy.figures() if busy.contended else "", **_speedup_fields(run, base),
        ))
    return Comparison(tuple(rows), base_id, prices.currency)


def speedup_text(row: CompareRow, baseline_id: str) -> str:
    """The speedup cell: ``4.00×``, ``baseline``, ``+3.1% (repeat)``, ``not comparable`` or
    ``busy machine`` (a contended run, which has no speedup)."""
    if row.run_id == baseline_id:
        return f"baseline · {BUSY_TAG}" if row.contended else "baseline"
    if row.contended:
        return BUSY_TAG
    if row.comparable:
        return units.ratio(row.speedup)
    if row.speedup_kind == REPEAT and row.difference is not None:
        return f"{units.signed_share(row.difference)} (repeat)"
    if row.speedup_kind == REPEAT:
        return f"{units.share(row.spread)} apart (repeat)"
    return "not comparable"


def headers(currency: str = "USD") -> tuple[str, ...]:
    return ("run", "model", "settings", "device", "samples/s", "FLOP/s", "MFU", "samples/J",
            f"samples/{currency}", "vs baseline")


HEADERS = headers()


def table_cells(comparison: Comparison) -> list[tuple[str, ...]]:
    """Formatted cells per row, in ``headers()`` order (shared by CLI, HTML and the window)."""
    out: list[tuple[str, ...]] = []
    for r in comparison.rows:
        device = f"{r.device} x{r.world_size}" if r.world_size > 1 else r.device
        name = r.label or r.name or r.run_id
        out.append((f"{name} · {BUSY_TAG}" if r.contended else name, r.model, r.settings, device,
                    units.count(r.samples_per_s), units.flops(r.achieved_flops_per_s),
                    units.share(r.mfu), units.si(r.samples_per_j, spaced=True),
                    units.si(r.samples_per_dollar, spaced=True),
                    speedup_text(r, comparison.baseline_id)))
    return out


def render_table(comparison: Comparison) -> str:
    """Plain-text table for the terminal, then what each row's speedup compares (or why none)."""
    rows = [headers(comparison.currency), *([units.plain(cell) for cell in row] for row in table_cells(comparison))]
    text = units.columns(rows, right=(4, 5, 6, 7, 8, 9))
    notes = [units.plain(f"  {r.label}: {r.speedup_note}") for r in comparison.rows
             if r.run_id != comparison.baseline_id and r.speedup_note]
    base = units.plain(comparison.baseline.label)
    busy = [units.plain(f"  {note}") for note in comparison.busy_notes()]
    return (text + (f"\n\nvs baseline {base}:\n" + "\n".join(notes) if notes else "")
            + (f"\n\n{BUSY_TAG.capitalize()}:\n" + "\n".join(busy) if busy else ""))
