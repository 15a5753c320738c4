"""One-page, self-contained HTML reports for a run, a comparison or a sweep.

``run_report`` and ``comparison_report`` are the stakeholder report
(``profiler.reports.stakeholder``): headline, comparison chart, the numbers with their
meaning, the machine, caveats, then details. ``sweep_section`` adds a sweep's curves and
break-even. Every piece of data is escaped; the page has no scripts and loads nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from profiler import units
from profiler.analysis.sweep import SweepResult
from profiler.analysis.value import Job, PriceBook
from profiler.reports import svg
from profiler.reports.html_parts import CSS, bullet_list, esc, page, section, table
from profiler.reports.stakeholder import stakeholder_report

__all__ = ["CSS", "comparison_report", "run_report", "sweep_section"]


def _table(headers: Sequence[Any], rows: Sequence[Sequence[Any]], cls: str = "") -> str:
    """A plain table of any cells (the advisor's section builds its tables with it)."""
    return table([str(h) for h in headers], [[str(c) for c in row] for row in rows], drop_empty_columns=False)


def run_report(run: Mapping[str, Any], prices: PriceBook | None = None,
               job: Job | None = None) -> str:
    """Report of one run (a ``HistoryStore.get`` or ``RunResult.to_dict`` dict)."""
    from profiler.metrics.naming import run_label

    return stakeholder_report([run], prices=prices, job=job, title=f"Horsepower run: {run_label(run)}")


def sweep_section(result: SweepResult) -> str:
    """The sweep's curves (log knob axis), where each accelerator breaks even, failed points."""
    lines = [(d, list(result.curve(d)), list(result.curve(d).values())) for d in result.devices]
    crossing = next((c for c in result.crossovers.values() if c.knob_value is not None), None)
    chart = svg.line_chart(lines, f"{result.label}: samples/s vs {result.knob}", result.knob,
                           "samples/s", log_x=True,
                           marker_x=crossing.knob_value if crossing else None,
                           marker_label="break-even" if crossing else "")
    text = bullet_list([c.message for c in result.crossovers.values()])
    failed = [p for p in result.points if p.error]
    fails = table(("value", "device", "error"), [(str(p.value), p.device, str(p.error)) for p in failed]) \
        if failed else ""
    rows = [(f"{p.value:,}", p.device, units.rate(p.samples_per_s), units.share(p.mfu), p.status)
            for p in result.points]
    points = table((result.knob, "device", "samples/s", "MFU", "status"), rows, numeric=(0, 2, 3))
    return section("Sweep", f'<div class="chart">{chart}</div>{text}{points}{fails}')


def comparison_report(runs: Sequence[Mapping[str, Any]], baseline: str | None = None,
                      prices: PriceBook | None = None, job: Job | None = None,
                      sweep: SweepResult | None = None, title: str = "Horsepower comparison",
                      sections: Sequence[str] = ()) -> str:
    """Report comparing ``runs`` (and/or a sweep); ``sections`` is more section HTML placed
    before the details (the window adds the advisor's answer for a compared run)."""
    extra = [*([sweep_section(sweep)] if sweep is not None else []), *sections]
    if not runs:
        intro = "" if sweep is None else (f"<p>{esc(sweep.label)}: {esc(sweep.knob)} swept over "
                                          f"{esc(', '.join(f'{v:,}' for v in sweep.values))} on "
                                          f"{esc(', '.join(sweep.devices))}.</p>")
        return page(title, [intro, *extra])
    return stakeholder_report(runs, baseline, prices, job, title, extra=extra)
