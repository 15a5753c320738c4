""""How good is this advice" as Qt rich text: the back-test's scores against their targets,
then how often the faster of two GPUs was named right, by how far apart they were projected.

Shows a ``QualityTables`` (``gui.viewmodel.advice_view``: the engine's formatted figures) and
works nothing out. A score that misses its target is marked ✗ in amber, one that meets it ✓;
every text is escaped.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from gui.widgets.theme import WARNING_COLOUR

if TYPE_CHECKING:
    from gui.viewmodel.advice_view import QualityTables

MET, NOT_MET = "✓", "✗"
_TABLE = '<table cellspacing="0" cellpadding="3">'


def _row(cells: list[str], header: bool = False) -> str:
    """A row: the first cell left, the figures right."""
    tag = "th" if header else "td"
    first = f'<{tag} align="left">{cells[0]}</{tag}>'
    return "<tr>" + first + "".join(f'<{tag} align="right">{c}</{tag}>' for c in cells[1:]) + "</tr>"


def _whole(text: str) -> str:
    """``text`` escaped, kept on one line (Qt's rich text ignores ``nowrap``)."""
    return escape(text).replace(" ", "&nbsp;")


def _symbols(text: str) -> str:
    return text.replace(">=", "≥").replace("<=", "≤")


def _mark(met: bool) -> str:
    return MET if met else f'<span style="color:{WARNING_COLOUR}">{NOT_MET}</span>'


def quality_html(tables: QualityTables) -> str:
    """Both tables and the memory line as rich text for a QLabel ("" when there is nothing)."""
    parts = []
    if tables.scores:
        head = [""] + [f"{escape(name)}<br><small>{escape(_symbols(target))}</small>"
                       for name, target in tables.score_headers]
        body = []
        for row, verdicts in zip(tables.scores, tables.met, strict=True):
            scored = zip(row[1:], verdicts, strict=True)
            body.append(_row([_whole(row[0])] + [f"{_whole(value)}&nbsp;{_mark(met)}" for value, met in scored]))
        parts.append(_TABLE + _row(head, header=True) + "".join(body) + "</table>")
    if tables.orders:
        head = ["projected"] + [escape(h.replace(" or more", "+")) for h in tables.order_headers]
        body = [_row([_whole(c) for c in row]) for row in tables.orders]
        parts.append('<p style="margin-top:8px">Which of two GPUs is faster: how often the one projected faster '
                     "was the faster published figure, by how far apart the two were projected</p>"
                     + _TABLE + _row(head, header=True) + "".join(body) + "</table>")
    if tables.memory:
        parts.append(f"<p>{escape(tables.memory)}</p>")
    return "".join(parts)
