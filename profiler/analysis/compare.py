"""Head-to-head comparison of runs: the data, separate from any rendering.

Like ``torch.utils.benchmark.Compare``: ``compare`` builds rows, ``render_table`` (here) and
the HTML report / GUI table model render them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from profiler import units
from profiler.analysis.value import PriceBook, device_value, measured_from_result
from profiler.metrics.scaling import world_size_of


@dataclass(frozen=True)
class CompareRow:
    """One run's figures; speedup is samples/s over the baseline's (None: n/a)."""

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
    world_size: int = 1  # ranks of a distributed run


@dataclass(frozen=True)
class Comparison:
    rows: tuple[CompareRow, ...]
    baseline_id: str
    currency: str = "USD"

    def to_dict(self) -> dict[str, Any]:
        return {"baseline": self.baseline_id, "currency": self.currency,
                "rows": [asdict(r) for r in self.rows]}


def pick_baseline(runs: Sequence[Mapping[str, Any]], baseline: str | None = None) -> str:
    """``baseline`` if given (must be one of the runs), else the first CPU run, else the first."""
    ids = [str(r["run_id"]) for r in runs]
    if not ids:
        raise ValueError("nothing to compare: no runs given")
    if baseline is not None:
        if baseline not in ids:
            raise ValueError(f"baseline {baseline!r} is not one of the compared runs: {', '.join(ids)}")
        return baseline
    return next((str(r["run_id"]) for r in runs if str(r.get("device", "")).startswith("cpu")), ids[0])


def compare(runs: Sequence[Mapping[str, Any]], baseline: str | None = None,
            prices: PriceBook | None = None) -> Comparison:
    """Rows for ``runs`` (result dicts) in the given order, with speedup vs the baseline."""
    base_id = pick_baseline(runs, baseline)
    base_sps = next(r.get("samples_per_s") for r in runs if str(r["run_id"]) == base_id)
    prices = prices or PriceBook()
    rows = []
    for run in runs:
        measured = measured_from_result(run)
        value = device_value(measured, prices.price_for(measured.device), prices.electricity_per_kwh)
        sps = run.get("samples_per_s")
        rows.append(CompareRow(
            run_id=str(run["run_id"]), name=str(run.get("name", "")),
            device=str(run.get("device", "")), workload=str(run.get("workload", "")),
            status=str(run.get("status", "")), samples_per_s=sps,
            achieved_flops_per_s=run.get("achieved_flops_per_s"), mfu=run.get("mfu"),
            samples_per_j=value.samples_per_j, samples_per_dollar=value.samples_per_dollar,
            speedup=sps / base_sps if sps is not None and base_sps else None,
            world_size=world_size_of(run),
        ))
    return Comparison(tuple(rows), base_id, prices.currency)


HEADERS = ("run", "device", "samples/s", "TFLOP/s", "MFU", "samples/J", "samples/$", "speedup")


def table_cells(comparison: Comparison) -> list[tuple[str, ...]]:
    """Formatted cells per row, in ``HEADERS`` order (shared by CLI and HTML)."""
    out: list[tuple[str, ...]] = []
    for r in comparison.rows:
        tflops = r.achieved_flops_per_s / 1e12 if r.achieved_flops_per_s is not None else None
        mark = " (baseline)" if r.run_id == comparison.baseline_id else ""
        device = f"{r.device} x{r.world_size}" if r.world_size > 1 else r.device
        out.append((r.name or r.run_id, device, units.num(r.samples_per_s), units.num(tflops),
                    units.percent(r.mfu), units.num(r.samples_per_j), units.num(r.samples_per_dollar),
                    units.ratio(r.speedup) + mark))
    return out


def render_table(comparison: Comparison) -> str:
    """Plain-text table for the terminal."""
    rows = [HEADERS, *([units.plain(cell) for cell in row] for row in table_cells(comparison))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    lines = ["  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths, strict=True))) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
