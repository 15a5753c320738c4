"""The advisor's answer as an HTML section of the stakeholder report (and a one-page report).

Escaped like the rest of ``profiler.reports.html`` (every text through ``html.escape``, no
scripts, inline SVG). The cost-versus-time chart marks the Pareto front; projected figures
carry "projected, not measured"; the Epoch AI credit follows wherever its figures appear.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from html import escape

from profiler import __version__, units
from profiler.analysis.advisor import PROJECTED, Advice
from profiler.analysis.advisor.row import Row
from profiler.analysis.advisor.text import (
    CALIBRATION_HEADERS,
    HEADERS,
    Cell,
    calibration_cells,
    not_projected_reasons,
    quality_cells,
    row_parts,
)
from profiler.reports import svg
from profiler.reports.html import CSS, _table
from profiler.reports.label_layout import label_rect, place_labels

#: the chart's point labels: font size (px), most characters shown, and the width of one (px, sans-serif)
LABEL_SIZE, LABEL_CHARS, LABEL_CHAR_PX = 10, 28, 5.8
#: half the width of a point's circle with its stroke (px): no other point's label covers it
MARKER_PX = 6.0


def cost_time_chart(advice: Advice, width: int = 760, height: int = 400) -> str:
    """Log-log scatter of time to train against cost, with round-time and decade-of-money
    ticks; front points filled, others hollow; a projection no back-test measured is labelled
    "(untested)"."""
    points = [p for p in advice.chart if p.time_s.nominal > 0 and p.cost.nominal > 0]
    title = "Cost versus time to train (Pareto front filled)"
    if not points:
        return ""
    currency = advice.constraints.currency
    left, right, top, bottom = 84, 20, 48, 52
    x_ticks = units.duration_ticks(min(p.time_s.nominal for p in points), max(p.time_s.nominal for p in points))
    y_ticks = units.decades(min(p.cost.nominal for p in points), max(p.cost.nominal for p in points))
    tlo, thi = math.log10(x_ticks[0][0]), math.log10(x_ticks[-1][0])
    clo, chi = math.log10(y_ticks[0]), math.log10(y_ticks[-1])
    tk = (width - right - left) / max(thi - tlo, 1e-9)
    ck = (height - top - bottom) / max(chi - clo, 1e-9)

    def at_x(seconds: float) -> float:
        return left + (math.log10(seconds) - tlo) * tk

    def at_y(money: float) -> float:
        return height - bottom - (math.log10(money) - clo) * ck

    body = [svg._text(8, 18, title, size=14, weight="bold")]
    for seconds, words in x_ticks:
        x = at_x(seconds)
        body += [f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - bottom}" stroke="#E5E7EB"/>',
                 svg._text(x, height - bottom + 16, words, anchor="middle", size=10)]
    for money in y_ticks:
        y = at_y(money)
        body += [f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#E5E7EB"/>',
                 svg._text(left - 6, y + 4, units.money(money, currency), anchor="end", size=10)]
    body += [f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#999"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#999"/>',
             svg._text((left + width - right) / 2, height - 10, "time to train (log scale)", anchor="middle"),
             svg._text(12, top - 10, f"cost of the job, {currency} (log scale)")]
    # the title, the axis title and every point, in the labels' y-up pixels: no label covers them
    avoid = [(0.0, float(width), -26.0, 0.0), (0.0, 230.0, -(top - 4.0), -(top - 24.0))]
    boxes: list[tuple[float, float, float, float]] = []
    markers: list[tuple[float, float, float, float]] = []
    names = [p.name[:LABEL_CHARS] + (" (untested)" if p.untested else "") for p in points]
    for i, (p, name) in enumerate(zip(points, names, strict=True)):
        x, y = at_x(p.time_s.nominal), at_y(p.cost.nominal)
        colour = svg.PALETTE[i % len(svg.PALETTE)]
        fill = colour if p.on_front else "none"
        dash = ' stroke-dasharray="2 2"' if p.untested else ""
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{fill}" stroke="{colour}" stroke-width="2"{dash}>'
                    f'<title>{escape(name)}: {escape(units.duration(p.time_s.nominal))}, '
                    f'{escape(units.money(p.cost.nominal, currency))}</title></circle>')
        boxes.append((x, -y, len(name) * LABEL_CHAR_PX, LABEL_SIZE * 1.2))  # y up
        markers.append((x - MARKER_PX, x + MARKER_PX, -y - MARKER_PX, -y + MARKER_PX))  # no label over a point
    # a label with no free spot is left out (its point's tooltip and the table still name it)
    spots = place_labels(boxes, width / 2, keep_all=False, avoid=avoid, within=(0.0, float(width)), markers=markers)
    for name, box, spot in zip(names, boxes, spots, strict=True):
        if spot is not None:
            rect = label_rect(box, *spot)
            body.append(svg._text(rect[0], -rect[2] - 0.2 * LABEL_SIZE, name, size=LABEL_SIZE))
    return svg._svg(width, height, title, body)


def quality_section(advice: Advice) -> str:
    """"How good is this advice": each back-test regime's scores against their targets, how
    often the faster of two GPUs was named right by how far apart they were projected, and
    the memory verdicts ("" without a fitted corpus)."""
    cards = advice.scorecards
    if not cards:
        return f'<p class="muted">{escape(advice.memory_line)}</p>' if advice.memory_line else ""
    scores, orders = quality_cells(cards, described=True)
    parts = ["<h3>How good is this advice</h3>",
             "<p>GPU figures predicted out of sample against published measurements: the figure predicted "
             "is in neither the fit nor its band.</p>", _table(scores[0], scores[1:]),
             "<p>Which of two GPUs is faster: how often the one projected faster was the faster published "
             "figure, by how far apart the two were projected.</p>", _table(orders[0], orders[1:])]
    if advice.memory_line:
        parts.append(f'<p class="muted">{escape(advice.memory_line)}</p>')
    return "".join(parts)


#: the ranked table's columns of figures (right-aligned, each band on a muted line of its own)
FIGURE_COLUMNS = (0, 4, 5, 6, 7, 9)


def _cell_html(cell: Cell) -> str:
    band = f'<span class="band">{escape(cell.band)}</span>' if cell.band else ""
    tag = f' <span class="tag">[{escape(cell.tag)}]</span>' if cell.tag else ""
    return escape(cell.main) + tag + band


def ranked_table(rows: Sequence[Row], currency: str) -> str:
    """The ranked devices (``text.row_parts``, the CLI's cells) with each projected figure's band
    on a line of its own under it, so the columns stay readable at the report's width."""
    def cls(i: int) -> str:
        return ' class="num"' if i in FIGURE_COLUMNS else ""

    head = "".join(f"<th{cls(i)}>{escape(h)}</th>" for i, h in enumerate(HEADERS))
    body = []
    for n, row in enumerate(rows):
        cells = "".join(f"<td{cls(i)}>{_cell_html(c)}</td>" for i, c in enumerate(row_parts(n + 1, row, currency)))
        body.append(f"<tr>{cells}</tr>")
    return f'<table class="ranked"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def prose(text: str) -> str:
    """``text`` escaped for HTML, its `backquoted` commands as ``<code>`` (as the CLI writes them)."""
    pieces = escape(text).split("`")
    if len(pieces) % 2 == 0:  # an unpaired backquote: leave the text as it is
        return escape(text)
    return "".join(f"<code>{piece}</code>" if i % 2 else piece for i, piece in enumerate(pieces))


def advice_section(advice: Advice, limit: int | None = 25) -> str:
    """``<h2>Which hardware?</h2>`` with the warnings, the job, the recommendation, the ranked
    table, chart, calibration, how good the advice is, notes and credits."""
    c = advice.constraints
    rows = advice.rows[:limit] if limit else advice.rows
    table = ranked_table(rows, c.currency)
    job = (f"{c.samples:,} samples x {c.epochs:g} epoch(s)"
           + (f", deadline {units.duration(c.deadline_s)}" if c.deadline_s else "")
           + (f", budget {units.money(c.budget_total, c.currency)}" if c.budget_total else "")
           + (f", budget {units.money(c.budget_per_h, c.currency)}/h" if c.budget_per_h else ""))
    parts = [
        "<h2>Which hardware?</h2>",
        *(f'<p class="warn"><b>Warning.</b> {prose(w)}</p>' for w in advice.warnings),
        (f"<p>Measured run: {escape(advice.run_name)} on {escape(advice.subject)}. Job: {escape(job)}.</p>"
         if advice.subject else f"<p>Model: {escape(advice.run_name)}, counted, not trained here (the notes say "
         f"how). Job: {escape(job)}.</p>"),
        f"<p><b>Recommendation.</b> {prose(advice.recommendation)}</p>", table,
        *(f'<p class="muted"><b>Not projected:</b> {escape(", ".join(names))}: {prose(reason)}</p>'
          for reason, names in not_projected_reasons(rows).items()),
        cost_time_chart(advice),
    ]
    if advice.calibration:
        parts += ["<h3>Predicted versus measured</h3>",
                  _table(CALIBRATION_HEADERS, [calibration_cells(cal) for cal in advice.calibration])]
    parts.append(quality_section(advice))
    notes = [*advice.notes, f"Projected figures are {PROJECTED}."]
    parts.append("<ul class=\"muted\">" + "".join(f"<li>{prose(n)}</li>" for n in notes) + "</ul>")
    if advice.credits:
        parts.append("<p class=\"muted\">" + "<br>".join(escape(line) for line in advice.credits) + "</p>")
    return "".join(parts)


def advice_report(advice: Advice) -> str:
    """A one-page report holding only the advisor's section (its header says which figures
    are measured: only the rows marked so)."""
    title = f"Horsepower advisor: {advice.run_name}"
    stamp = time.strftime("%Y-%m-%d %H:%M")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body><h1>{escape(title)}</h1>"
            f"<p class=\"muted\">Generated {escape(stamp)} by Horsepower {escape(__version__)}. Rows marked "
            f"measured were measured; every other figure is {escape(PROJECTED)}.</p>"
            + advice_section(advice, limit=None) + "</body></html>\n")
