"""One-page, self-contained HTML reports for a run, a comparison or a sweep.

Every piece of data is escaped with ``html.escape``; the page has no scripts and loads
nothing (inline CSS, inline SVG charts from ``svg.py``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from profiler import __version__, units
from profiler.analysis.compare import HEADERS, compare, table_cells
from profiler.analysis.sweep import SweepResult
from profiler.analysis.value import Job, PriceBook, value_table
from profiler.history.series import throughput_points
from profiler.metrics.comparison import model_title
from profiler.metrics.references import describe_peak, mfu_sentence
from profiler.reports import svg

CSS = """
body{font-family:sans-serif;max-width:980px;margin:24px auto;color:#222;padding:0 12px}
h1{font-size:22px}h2{font-size:17px;border-bottom:1px solid #ccc;padding-bottom:3px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}
.kv td{text-align:left}.warn{color:#a40}.muted{color:#666;font-size:12px}
"""


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], cls: str = "") -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    klass = f' class="{cls}"' if cls else ""
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _kv(data: Mapping[str, Any]) -> str:
    rows = [(k, v if isinstance(v, (str, int, float)) or v is None else json.dumps(v))
            for k, v in data.items()]
    return _table(("", ""), [(k, units.NA if v is None else v) for k, v in rows], cls="kv")


def _page(title: str, sections: Sequence[str]) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1><p class=\"muted\">Generated {escape(stamp)} by Horsepower "
        f"{escape(__version__)}. Figures are measured on the machine described below.</p>"
        + "".join(sections) + "</body></html>\n"
    )


def _label(run: Mapping[str, Any]) -> str:
    return str(run.get("name") or run.get("run_id"))


def _summary_rows(run: Mapping[str, Any]) -> list[tuple[str, str]]:
    st = run.get("step_time_s") or {}
    return [
        ("status", str(run.get("status"))), ("device", str(run.get("device"))),
        ("workload", f"{model_title(run)} {run.get('precision')}"),
        ("batch size", str(run.get("batch_size"))), ("parameters", units.num(run.get("params"))),
        ("samples/s", units.num(run.get("samples_per_s"))),
        ("achieved FLOP/s", units.si(run.get("achieved_flops_per_s"), "FLOP/s")),
        ("hardware peak", f"{units.si(run.get('peak_flops_per_s'), 'FLOP/s')} "
                          f"({describe_peak(run.get('peak_source'), run.get('peak_inputs') or {})})"),
        ("best GEMM measured here", f"{units.si(run.get('ceiling_flops_per_s'), 'FLOP/s')} "
                                    f"({run.get('ceiling_source') or 'n/a'})"),
        ("MFU", mfu_sentence(run.get("mfu"), run.get("mfu_ceiling"))),
        ("step time median (p5-p95)", f"{units.si(st.get('median'), 's')} "
                                      f"({units.si(st.get('p5'), 's')} - {units.si(st.get('p95'), 's')})"),
        ("timed steps", str(run.get("timed_steps"))),
        ("energy", units.si(run.get("energy_j"), "J")),
        ("samples/J", units.num(run.get("samples_per_j"))),
    ]


def _throughput_chart(runs: Sequence[Mapping[str, Any]]) -> str:
    lines = []
    for run in runs:
        if run.get("series"):
            xs, ys = throughput_points(run["series"], phase=None)
            lines.append((_label(run), xs, ys))
    if not lines:
        return ""
    return svg.line_chart(lines, "Throughput over time", "time (s)", "samples/s")


def _value_section(runs: Sequence[Mapping[str, Any]], prices: PriceBook | None,
                   job: Job | None) -> str:
    if prices is None:
        return ""
    cur = prices.currency
    rows = []
    for run, (value, proj) in zip(runs, value_table(list(runs), prices, job), strict=True):
        row = [_label(run), value.device, units.num(value.power_w), units.num(value.samples_per_j),
               units.money(value.cost_per_h, cur), units.num(value.samples_per_dollar)]
        if proj is not None:
            row += [units.duration(proj.time_s), units.num(proj.energy_wh), units.money(proj.cost, cur)]
        rows.append([*row, "; ".join(value.notes)])
    headers = ["run", "device", "power (W)", "samples/J", "cost/h", f"samples per {cur}"]
    if job is not None:
        headers += ["job time", "job energy (Wh)", "job cost"]
    intro = "" if job is None else (
        f"<p>Job: {units.num(job.dataset_samples)} samples x {job.epochs:g} epochs.</p>")
    return "<h2>Value</h2>" + intro + _table([*headers, "notes"], rows)


def _machine_section(runs: Sequence[Mapping[str, Any]]) -> str:
    seen, parts = set(), []
    for run in runs:
        env = dict(run.get("environment") or {})
        key = json.dumps(env, sort_keys=True)
        if key in seen or not env:
            continue
        seen.add(key)
        parts.append(_kv(env))
    devices = [(_label(r), r.get("device_info") or {}) for r in runs]
    for label, info in devices:
        if info:
            parts.append(f"<p>Device of {escape(label)}:</p>" + _kv(info))
    return "<h2>Machine</h2>" + "".join(parts) if parts else ""


def _warnings(runs: Sequence[Mapping[str, Any]]) -> str:
    items = [f"<li>{escape(_label(r))}: {escape(str(w))}</li>"
             for r in runs for w in [*(r.get("warnings") or []), *(r.get("notices") or [])]]
    errors = [f"<li>{escape(_label(r))}: {escape(str(r['error']))}</li>"
              for r in runs if r.get("error")]
    if not items and not errors:
        return ""
    return "<h2>Warnings</h2><ul class=\"warn\">" + "".join(errors + items) + "</ul>"


def run_report(run: Mapping[str, Any], prices: PriceBook | None = None,
               job: Job | None = None) -> str:
    """Report of one run (a ``HistoryStore.get`` or ``RunResult.to_dict`` dict)."""
    sections = [
        "<h2>Summary</h2>" + _table(("", ""), _summary_rows(run), cls="kv"),
        _warnings([run]), _throughput_chart([run]), _value_section([run], prices, job),
        "<h2>Run specification</h2>" + _kv(run.get("spec") or {}), _machine_section([run]),
    ]
    return _page(f"Horsepower run: {_label(run)}", sections)


def sweep_section(result: SweepResult) -> str:
    lines = [(d, list(result.curve(d)), list(result.curve(d).values())) for d in result.devices]
    crossing = next((c for c in result.crossovers.values() if c.knob_value is not None), None)
    chart = svg.line_chart(lines, f"{result.label}: samples/s vs {result.knob}", result.knob,
                           "samples/s", log_x=True,
                           marker_x=crossing.knob_value if crossing else None,
                           marker_label="break-even" if crossing else "")
    text = "".join(f"<p>{escape(c.message)}</p>" for c in result.crossovers.values())
    failed = [p for p in result.points if p.error]
    fails = _table(("knob", "device", "error"), [(p.value, p.device, p.error) for p in failed]) \
        if failed else ""
    return "<h2>Sweep</h2>" + chart + text + fails


def comparison_report(runs: Sequence[Mapping[str, Any]], baseline: str | None = None,
                      prices: PriceBook | None = None, job: Job | None = None,
                      sweep: SweepResult | None = None, title: str = "Horsepower comparison") -> str:
    """Report comparing ``runs`` (and/or a sweep): table, bar charts, value, machines."""
    sections = []
    if runs:
        comparison = compare(runs, baseline, prices)
        labels = [_label(r) for r in runs]
        rows = comparison.rows
        sections += [
            "<h2>Comparison</h2>" + _table(HEADERS, table_cells(comparison)),
            svg.bar_chart(labels, [r.samples_per_s for r in rows], "Samples per second"),
            svg.bar_chart(labels, [r.achieved_flops_per_s for r in rows], "Achieved FLOP/s",
                          "FLOP/s"),
            svg.bar_chart(labels, [r.samples_per_j for r in rows], "Samples per joule"),
            _throughput_chart(runs), _value_section(runs, prices, job), _warnings(runs),
        ]
    if sweep is not None:
        sections.append(sweep_section(sweep))
    sections.append(_machine_section(runs))
    return _page(title, sections)
