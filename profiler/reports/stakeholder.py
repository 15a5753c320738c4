"""A one-page report worth sending: the headline, the comparison, the numbers and what they
mean, the machine, the caveats, then the details of each run.

The page is composed from section functions, each taking the same ``ReportInput`` and
returning HTML ("" when it has nothing to say, so an all-n/a section never appears).
``SECTIONS`` is their order; a later feature adds its own section (e.g. an advisor's
findings) by passing ``extra`` to ``stakeholder_report`` or inserting into a copy of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from profiler import units
from profiler.analysis.compare import Comparison, compare, speedup_text
from profiler.analysis.headline import Headline, device_words, headline
from profiler.analysis.value import Job, PriceBook, cost_model, measured_from_result, value_table
from profiler.metrics.comparison import model_title
from profiler.metrics.contention import BUSY_TAG, contention_of_dict
from profiler.metrics.figures import MFU_PLAUSIBLE
from profiler.metrics.memory import peak_memory
from profiler.metrics.naming import part, run_label
from profiler.metrics.quality import partial_reason
from profiler.metrics.references import describe_peak, mfu_sentence
from profiler.metrics.series import series_throughput
from profiler.reports import svg
from profiler.reports.diagnosis import diagnosis_section, input_settings, typed
from profiler.reports.glossary import meanings
from profiler.reports.html_parts import bullet_list, esc, kv, page, section, table

Run = Mapping[str, Any]


@dataclass(frozen=True)
class ReportInput:
    """What every section reads. ``comparison`` is None for a report of no runs (a sweep)."""

    runs: tuple[Run, ...]
    comparison: Comparison | None
    prices: PriceBook | None = None
    job: Job | None = None
    headline: Headline | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        if self.comparison is None:
            return [run_label(r) for r in self.runs]
        return [row.label for row in self.comparison.rows]


Section = Callable[[ReportInput], str]


# ---- sections -------------------------------------------------------------------------
def headline_section(data: ReportInput) -> str:
    line = data.headline
    if line is None:
        return ""
    basis = f'<div class="basis">{esc(line.basis)}</div>' if line.basis else ""
    cls = "headline busy" if line.contended else "headline"
    limits = [str(part(r, "verdict").get("message") or "") for r in data.runs]
    bound = [m for m in limits if m.startswith("input-bound")]
    verdict = f'<div class="basis warn">{esc(bound[0])}</div>' if len(data.runs) == 1 and bound else ""
    return f'<div class="{cls}"><div class="big">{esc(line.sentence)}</div>{basis}{verdict}</div>'


def chart_section(data: ReportInput) -> str:
    comparison = data.comparison
    if comparison is None or not data.runs:
        return ""
    rows = comparison.rows
    notes = [speedup_text(row, comparison.baseline_id) + (" vs baseline" if row.comparable else "")
             for row in rows]
    chart = svg.bar_chart(data.labels, [r.samples_per_s for r in rows], "Samples per second",
                          notes=notes if len(rows) > 1 else None,
                          muted=[r.run_id != comparison.baseline_id and not r.comparable
                                 and r.speedup_kind != "repeat" for r in rows],
                          value_text=[units.rate(r.samples_per_s, r.sample_unit) for r in rows])
    lines = []
    for run, label in zip(data.runs, data.labels, strict=True):
        xs, ys = series_throughput(run.get("series") or {})
        if xs:
            lines.append((label, xs, ys))
    over_time = svg.line_chart(lines, "Samples/s over time (1 s average, warm-up left out)",
                               "seconds since the timed window began", "samples/s", width=760,
                               markers=False) if lines else ""
    grey = ("<p class=\"muted\">Grey bars are not comparable with the baseline: a speedup between "
            "them would be meaningless (see the caveats).</p>") if any(
        r.run_id != comparison.baseline_id and not r.comparable and r.speedup_kind != "repeat"
        for r in rows) else ""
    return section("Comparison", f'<div class="charts"><div class="chart">{chart}</div>'
                   f'<div class="chart">{over_time}</div></div>{grey}')


def _step_time(run: Run) -> str:
    st = part(run, "step_time_s")
    if not st.get("median"):
        return units.NA
    return f"{units.seconds(st['median'])} ({units.seconds(st.get('p5'))}-{units.seconds(st.get('p95'))})"


def numbers_section(data: ReportInput) -> str:
    comparison = data.comparison
    if comparison is None or not data.runs:
        return ""
    headers = ("run", "device", "samples/s", "FLOP/s", "MFU", "step time (p5-p95)", "peak memory",
               "samples/J", "vs baseline")
    cells = []
    for run, row in zip(data.runs, comparison.rows, strict=True):
        memory, _what = peak_memory(run)
        label = f"{row.label} · {BUSY_TAG}" if row.contended else row.label
        cells.append((label, row.device, units.rate(row.samples_per_s, row.sample_unit),
                      units.flops(row.achieved_flops_per_s), units.share(row.mfu),
                      _step_time(run), units.nbytes(memory), units.si(row.samples_per_j, spaced=True),
                      speedup_text(row, comparison.baseline_id)))
    grid = table(headers, cells, numeric=(2, 3, 4, 5, 6, 7, 8))
    base = comparison.baseline.label
    terms = {"samples/s", "FLOP/s", "MFU", "step time", "peak memory", "samples/J", "vs baseline"}
    shown_terms = {t for t in terms if t not in ("samples/J",) or any(r.samples_per_j for r in comparison.rows)}
    definitions = "".join(f"<dt>{esc(term)}</dt><dd>{esc(text)}</dd>" for term, text in meanings(shown_terms))
    return section("The numbers", f"<p>Baseline: <b>{esc(base)}</b>.</p>{grid}"
                   f'<dl class="meaning">{definitions}</dl>')


def value_section(data: ReportInput) -> str:
    prices = data.prices
    if prices is None or not data.runs or not any(p.basis for p in prices.devices):
        return ""
    cur = prices.currency
    rows: list[list[str]] = []
    models: dict[str, str] = {}
    for run, label, (value, proj) in zip(data.runs, data.labels,
                                         value_table(list(data.runs), prices, data.job), strict=True):
        row = [label, units.power(value.power_w), units.money(value.cost_per_h, cur) + "/h"
               if value.cost_per_h is not None else units.NA,
               units.per_money(value.samples_per_dollar, "samples", cur)]
        if proj is not None:
            row += [units.duration(proj.time_s), units.si(proj.energy_wh, "Wh"), units.money(proj.cost, cur)]
        rows.append(row)
        device = str(run.get("device"))
        models.setdefault(device, f"{device}: " + cost_model(prices.price_for(device), prices.electricity_per_kwh,
                                                             measured_from_result(run).power_w, cur))
    headers = ["run", "power", "cost", f"samples per {cur}"]
    intro = ""
    if data.job is not None:
        headers += ["job time", "job energy", "job cost"]
        intro = (f"<p>Job: {units.count(data.job.dataset_samples)} samples × {data.job.epochs:g} "
                 "epochs at each run's measured rate.</p>")
    return section("Value", intro + table(headers, rows, numeric=tuple(range(1, len(headers))))
                   + "<h3>How each device's cost is worked out</h3>" + bullet_list(list(models.values()), "caveats"))


def _host_rows(run: Run) -> list[tuple[str, str]]:
    env = part(run, "environment")
    torch_text = str(env.get("torch") or units.NA)
    for key, word in (("cuda_runtime", "CUDA"), ("hip_runtime", "ROCm")):
        if env.get(key):
            torch_text += f" ({word} {env[key]})"
    threads = env.get("torch_threads")
    return [("Host", str(env.get("hostname") or units.NA)), ("CPU", str(env.get("cpu_model") or units.NA)),
            ("Logical CPUs", str(env.get("logical_cpus") or units.NA)),
            ("Torch threads", str(threads) if threads else units.NA),
            ("Operating system", str(env.get("os") or units.NA)),
            ("Python", str(env.get("python") or units.NA)), ("torch", torch_text)]


def _device_row(run: Run) -> tuple[str, ...]:
    info = part(run, "device_info")
    units_text = units.NA
    if info.get("compute_units"):
        units_text = f"{info['compute_units']} {info.get('compute_unit_name') or ''}".strip()
    return (str(run.get("device") or ""), str(info.get("name") or units.NA),
            units.nbytes(info.get("memory_bytes")), units_text)


def _span(values: list[float]) -> str:
    lo, hi = min(values), max(values)
    return units.flops(lo) if hi <= lo * 1.02 else f"{units.flops(lo)} to {units.flops(hi)}"


def _references(runs: Sequence[Run]) -> list[str]:
    """The two MFU references by device and precision: the hardware peak (and where it comes
    from) and the best GEMM measured here (each run measures its own)."""
    peaks: dict[tuple[str, str], tuple[list[float], str]] = {}
    ceilings: dict[tuple[str, str], list[float]] = {}
    for run in runs:
        key = (str(run.get("device")), str(run.get("precision")))
        if run.get("peak_flops_per_s"):
            where = describe_peak(run.get("peak_source"), part(run, "peak_inputs"))
            peaks.setdefault(key, ([], where))[0].append(float(run["peak_flops_per_s"]))
        if run.get("ceiling_flops_per_s"):
            ceilings.setdefault(key, []).append(float(run["ceiling_flops_per_s"]))
    lines = [f"Hardware peak, {d} {p}: {_span(v)} ({where})" for (d, p), (v, where) in peaks.items()]
    lines += [f"Best GEMM measured here, {d} {p}: {_span(v)} (each run measures its own; a busier "
              "machine gives less)" for (d, p), v in ceilings.items()]
    return lines


def machine_section(data: ReportInput) -> str:
    if not data.runs:
        return ""
    hosts: dict[str, list[tuple[str, str]]] = {}
    for run in data.runs:
        rows = _host_rows(run)
        hosts.setdefault(rows[0][1], rows)
    devices: dict[tuple[str, ...], tuple[str, ...]] = {}
    for run in data.runs:
        row = _device_row(run)
        devices.setdefault(row[:2], row)
    body = "".join(kv(rows) for rows in hosts.values())
    body += table(("device", "name", "memory", "compute units"), list(devices.values()), numeric=(2,))
    refs = _references(data.runs)
    if refs:
        body += "<h3>What MFU is measured against</h3>" + bullet_list(refs, "caveats")
    return section("The machine", body)


def caveats_section(data: ReportInput) -> str:
    items: list[str] = []
    for run, label in zip(data.runs, data.labels, strict=True):
        if run.get("error"):
            items.append(f"{label}: {run['status']}: {run['error']}")
        partial = partial_reason(run)
        if partial:
            items.append(f"{label}: {partial}")
        warnings = [str(w) for w in run.get("warnings") or ()]
        busy = contention_of_dict(run).warning()
        items += [f"{label}: {w}" for w in warnings + ([busy] if busy and busy not in warnings else [])]
        if (run.get("mfu") or 0) > MFU_PLAUSIBLE:
            items.append(f"{label}: MFU above 100% of the hardware peak means the FLOP count or the "
                         "peak is wrong; trust the throughput, not the MFU")
    if data.comparison is not None:
        items += [f"{r.label}: {r.speedup_note}" for r in data.comparison.rows
                  if r.run_id != data.comparison.baseline_id and not r.comparable and r.speedup_note]
    notices = sorted({f"{label}: {n}" for run, label in zip(data.runs, data.labels, strict=True)
                      for n in run.get("notices") or ()})
    body = bullet_list(items, "caveats warn") + (
        "<h3>Notices</h3>" + bullet_list(notices) if notices else "")
    return section("Caveats and warnings", body)


def _settings_words(run: Run) -> str:
    spec = part(run, "spec")
    env = part(run, "environment")
    words = [str(run.get("precision") or spec.get("precision") or "fp32")]
    threads = spec.get("threads")
    if str(run.get("device")) == "cpu":
        words.append(f"{threads} threads" if threads else f"all cores ({env.get('torch_threads') or '?'} threads)")
    words += [w for key, w in (("channels_last", "channels-last memory format"), ("compile", "torch.compile"))
              if spec.get(key)]
    result = typed(run) if spec.get("input_pipeline") else None
    if result is not None:
        words.append(input_settings(result.spec))
    return ", ".join(words)


def _run_details(run: Run, label: str) -> str:
    spec = part(run, "spec")
    batch = run.get("batch_size") or spec.get("batch_size")
    batch_text = f"{batch}" + ("" if spec.get("batch_size") else " (size preset default)") if batch else units.NA
    when = units.started_text(run.get("started_at"))
    status = str(run.get("status") or units.NA)
    partial = partial_reason(run)
    warm = (f"{run.get('warmup_steps')} steps ({units.seconds(run.get('warmup_s'))})"
            if run.get("warmup_steps") else units.NA)
    rows = [
        ("Model", model_title(run) + (f", {units.si(run['params'], 'parameters', spaced=True)}"
                                      if run.get("params") else "")),
        ("Device", f"{run.get('device')} ({device_words(run)})"),
        ("Batch", batch_text), ("Settings", _settings_words(run)),
        ("Timed window", f"{units.seconds(run.get('timed_s'))}, {run.get('timed_steps') or 0} steps"
         if run.get("timed_steps") else units.NA),
        ("Warm-up", warm), ("Compile time", units.seconds(run.get("compile_s"))),
        ("FLOPs per step", units.flop(run.get("flops_per_step"))),
        ("MFU", mfu_sentence(run.get("mfu"), run.get("mfu_ceiling")) if run.get("mfu") or run.get("mfu_ceiling")
         else units.NA),
        ("Loss", f"{units.num(run.get('loss_first'))} → {units.num(run.get('loss_last'))}"
         if run.get("loss_first") is not None else units.NA),
        ("Status", status + (f" ({partial})" if partial else "")),
        ("Machine", contention_of_dict(run).quiet_line()), ("Started", when),
        ("Run id", str(run.get("run_id") or units.NA)),
    ]
    return f'<div class="run"><h3>{esc(label)}</h3>{kv(rows)}</div>'


def time_section(data: ReportInput) -> str:
    """Where each run's step time goes and its verdict (``profiler.reports.diagnosis``)."""
    return diagnosis_section([typed(r) for r in data.runs], data.labels)


def details_section(data: ReportInput) -> str:
    body = "".join(_run_details(r, label) for r, label in zip(data.runs, data.labels, strict=True))
    return section("Details of each run", body, cls="details")


SECTIONS: tuple[Section, ...] = (headline_section, chart_section, numbers_section, time_section, value_section,
                                 machine_section, caveats_section, details_section)


def report_input(runs: Sequence[Run], baseline: str | None = None, prices: PriceBook | None = None,
                 job: Job | None = None) -> ReportInput:
    comparison = compare(runs, baseline, prices) if runs else None
    line = headline(runs, prices, comparison.baseline_id if comparison else None)
    return ReportInput(tuple(runs), comparison, prices, job, line)


def stakeholder_report(runs: Sequence[Run], baseline: str | None = None, prices: PriceBook | None = None,
                       job: Job | None = None, title: str = "Horsepower report",
                       extra: Sequence[str] = (), sections: Sequence[Section] = SECTIONS) -> str:
    """The whole page. ``extra`` is more section HTML placed before the details."""
    data = report_input(runs, baseline, prices, job)
    parts = [s(data) for s in sections]
    at = len(parts) - 1 if sections and sections[-1] is details_section else len(parts)
    parts[at:at] = list(extra)
    subtitle = ", ".join(dict.fromkeys(model_title(r) for r in runs)) if runs else ""
    return page(title, parts, subtitle)
