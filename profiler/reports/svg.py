"""Small, dependency-free SVG charts for self-contained reports.

Every piece of text passes through ``html.escape``; the output references nothing outside
itself (no fonts, no links, no scripts). Sizes are in CSS pixels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from profiler import units

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
Series = tuple[str, Sequence[float], Sequence[float | None]]  # label, xs, ys (None: a gap)


def _text(x: float, y: float, content: str, anchor: str = "start", size: int = 12,
          weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}">{escape(content)}</text>')


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif">'
            f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")


MUTED = "#C7CBD1"


def bar_chart(labels: Sequence[str], values: Sequence[float | None], title: str,
              unit: str = "", width: int = 760, notes: Sequence[str] | None = None,
              muted: Sequence[bool] | None = None, value_text: Sequence[str] | None = None) -> str:
    """Horizontal bars, one per label; a None value is drawn as ``n/a`` with no bar.

    ``notes`` adds a grey word after each value ("4.00× vs baseline", "not comparable");
    ``muted`` bars are drawn grey (runs that are not comparable with the baseline);
    ``value_text`` replaces the formatted values.
    """
    bar_h, gap, left, top = 22, 8, 270, 30
    height = top + len(labels) * (bar_h + gap) + 10
    scale_max = max([v for v in values if v is not None and v > 0], default=1.0)
    plot_w = width - left - 230
    body = [_text(8, 18, title, size=14, weight="bold")]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * (bar_h + gap)
        short = label if len(label) <= 42 else label[:41] + "…"
        body.append(_text(left - 6, y + bar_h * 0.7, short, anchor="end"))
        if value is None:
            body.append(_text(left + 4, y + bar_h * 0.7, units.NA))
            continue
        w = max(plot_w * max(value, 0.0) / scale_max, 1.0)
        colour = MUTED if muted and muted[i] else PALETTE[i % len(PALETTE)]
        body.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}"/>')
        shown = value_text[i] if value_text else units.si(value, unit)
        note = f"  {notes[i]}" if notes and notes[i] else ""
        body.append(_text(left + w + 4, y + bar_h * 0.7, shown + note))
    return _svg(width, height, title, body)


def _ticks(lo: float, hi: float, log: bool) -> list[float]:
    if log:
        return [10.0 ** e for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
                if lo <= 10.0 ** e <= hi] or [lo, hi]
    if hi <= lo:
        return [lo]
    step = 10 ** math.floor(math.log10((hi - lo) / 4))
    for mult in (1, 2, 5, 10):
        if (hi - lo) / (step * mult) <= 6:
            step *= mult
            break
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


def line_chart(series: Sequence[Series], title: str, x_label: str, y_label: str,
               log_x: bool = False, width: int = 640, height: int = 300,
               marker_x: float | None = None, marker_label: str = "", markers: bool = True) -> str:
    """Lines (with point markers when ``markers``) for each series; ``marker_x`` draws a
    vertical guide."""
    left, right, top, bottom = 76, 20, 30, 45 + 16 * len(series)
    pts = [(x, y) for _, xs, ys in series for x, y in zip(xs, ys, strict=True)
           if y is not None and (x > 0 or not log_x)]
    body = [_text(8, 18, title, size=14, weight="bold")]
    if not pts:
        body.append(_text(width / 2, height / 2, "no data", anchor="middle"))
        return _svg(width, height, title, body)
    fx = math.log10 if log_x else float
    x_lo, x_hi = min(fx(x) for x, _ in pts), max(fx(x) for x, _ in pts)
    y_lo, y_hi = 0.0, max(y for _, y in pts) * 1.05 or 1.0
    x_hi = x_hi if x_hi > x_lo else x_lo + 1.0
    pw, ph = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + (fx(x) - x_lo) / (x_hi - x_lo) * pw

    def py(y: float) -> float:
        return top + ph - (y - y_lo) / (y_hi - y_lo) * ph

    body.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>')
    x_range = (10 ** x_lo, 10 ** x_hi) if log_x else (x_lo, x_hi)
    for tick in _ticks(*x_range, log_x):
        body.append(_text(px(tick), top + ph + 14, units.si(tick), anchor="middle", size=10))
    for tick in _ticks(y_lo, y_hi, False):
        body.append(f'<line x1="{left}" x2="{left + pw}" y1="{py(tick):.1f}" y2="{py(tick):.1f}" '
                    'stroke="#eee"/>')
        body.append(_text(left - 4, py(tick) + 3, units.si(tick), anchor="end", size=10))
    body.append(_text(left + pw / 2, top + ph + 30, x_label, anchor="middle"))
    body.append(f'<text x="14" y="{top + ph / 2:.1f}" font-size="11" text-anchor="middle" '
                f'transform="rotate(-90 14 {top + ph / 2:.1f})">{escape(y_label)}</text>')
    for i, (label, xs, ys) in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        coords = [(px(x), py(y)) for x, y in zip(xs, ys, strict=True) if y is not None and (x > 0 or not log_x)]
        if coords:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            body.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.5"/>')
            if markers and len(coords) <= 60:
                body.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>'
                            for x, y in coords)
        ly = top + ph + 44 + 16 * i
        body.append(f'<rect x="{left}" y="{ly - 9}" width="12" height="4" fill="{color}"/>')
        body.append(_text(left + 18, ly, label, size=11))
    if marker_x is not None and (marker_x > 0 or not log_x):
        mx = px(marker_x)
        body.append(f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{top}" y2="{top + ph}" '
                    'stroke="#555" stroke-dasharray="4,3"/>')
        body.append(_text(mx + 4, top + 12, marker_label, size=11))
    return _svg(width, height, title, body)
