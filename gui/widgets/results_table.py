"""Table of finished runs, one row each, coloured by device. GUI thread.

A result the engine flagged (noisy step times, few steps, throughput still rising, contended)
gets a warning icon on its status cell, amber measured figures, and the warnings in every
tooltip; one with an error-level warning (``figures.ERROR_PREFIX``: an MFU above the hardware
peak) a red icon and red MFU and FLOP/s. The CPU column puts this run's process beside the
whole machine, as the Utilization plot does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from gui.widgets.metric_help import na_tip, tip
from gui.widgets.theme import ERROR_COLOUR, WARNING_COLOUR, colour_icon, device_colour
from profiler import units
from profiler.metrics.comparison import DEVICE, REPEAT, SETTINGS, speedup
from profiler.metrics.contention import BUSY_TAG, contention_of_dict
from profiler.metrics.cpu_share import shares_sentence
from profiler.metrics.figures import ERROR_PREFIX, MFU_PLAUSIBLE
from profiler.metrics.memory import peak_memory
from profiler.metrics.naming import run_label
from profiler.metrics.quality import partial_reason
from profiler.results.result import RunState

#: a cell: (text or None for n/a, sort key, tooltip addition)
Cell = tuple[str | None, float | None, str]
Extractor = Callable[[dict[str, Any], Mapping[str, Any] | None], Cell]


def _num(value: Any, text: Callable[[float], str]) -> Cell:
    if value is None:
        return None, None, ""
    return text(float(value)), float(value), ""


def _memory(r: dict[str, Any], _: Mapping[str, Any] | None) -> Cell:
    value, what = peak_memory(r)
    return (units.nbytes(value), value, f"\n{what}") if value else (None, None, f"\n{what}")


def _speedup(r: dict[str, Any], baseline: Mapping[str, Any] | None) -> Cell:
    """The engine's comparison with the session's baseline for this run: a ratio only when
    comparable; otherwise a greyed word and the reason in the tooltip."""
    if baseline is None:
        if r.get("device") == "cpu":
            return GREY + "baseline", None, "\nthe CPU is the baseline the other devices are compared with"
        return GREY + "no CPU run", None, "\nn/a: no comparable CPU run in this session"
    found = speedup(r, baseline)
    if found.kind in (DEVICE, SETTINGS) and found.value is not None:
        word = "" if found.kind == DEVICE else " settings"
        return units.ratio(found.value) + word, found.value, f"\n{found.sentence}"
    if found.kind == REPEAT and found.difference is not None:
        return GREY + f"{units.signed_share(found.difference)} repeat", None, \
            f"\nrun-to-run spread against {baseline.get('name')}: a repeat, not a speedup"
    return GREY + "not comparable", None, f"\nn/a: {found.reason}"


def _cpu(r: dict[str, Any], _: Mapping[str, Any] | None) -> Cell:
    """"99% / 100%": this run's process / the machine (percent of all cores, timed-window means)."""
    run, host, others = r.get("run_cpu_percent"), r.get("host_cpu_percent"), r.get("other_cpu_percent")
    if run is None and host is None:
        return None, None, "\nn/a: no CPU readings were taken for this run"
    return f"{units.pct(run)} / {units.pct(host)}", run, f"\n{shares_sentence(host, run, others)}"


def _status(r: dict[str, Any], _: Mapping[str, Any] | None) -> Cell:
    partial = partial_reason(r)
    busy = contention_of_dict(r).warning()
    words = [str(r.get("status")), *(["partial"] if partial else []), *([BUSY_TAG] if busy else [])]
    return " · ".join(words), None, "".join(f"\n{why}" for why in (partial, busy) if why)


#: header, tooltip metric, extractor(result, cpu baseline result) -> cell
#: columns holding measured figures: amber when the result carries quality warnings
MEASURED = ("samples_per_s", "tokens_per_s", "tflops", "mfu", "speedup", "step_p50", "spread")
#: columns an error-level warning makes red (a wrong FLOP count or peak)
WRONG = ("tflops", "mfu")
STATUS_COL = 3
RUN_COL = 1
TOKENS_COL = 5  # shown only when a run has tokens/s (a model that says its tokens per sample)
EMPTY_TEXT = "Finished runs land here, one row each: sort by any column, hover a cell for what it means."
EMPTY_TEXT_COLOUR = "#9CA3AF"
GREY = "\x00"  # prefix: show the cell's text greyed (a word, not a figure)
HEADER_PAD_PX = 16  # section padding (QSS: 6 px a side) and a little air
RESULT_ROLE = Qt.ItemDataRole.UserRole + 1  # column 0: the index of the row's result in ``results``

COLUMNS: list[tuple[str, str, Extractor]] = [
    ("Device", "", lambda r, _: (r.get("device"), None, "")),
    ("Run", "", lambda r, _: (run_label(r).rsplit(" on ", 1)[0], None, "")),
    ("Batch", "", lambda r, _: _num(r.get("batch_size") or None, lambda v: f"{v:.0f}")),
    ("Status", "status", _status),
    ("Samples/s", "samples_per_s", lambda r, _: _num(r.get("samples_per_s") or None, units.count)),
    ("Tokens/s", "tokens_per_s", lambda r, _: _num(r.get("tokens_per_s") or None, units.count)),
    ("FLOP/s", "tflops", lambda r, _: _num(r.get("achieved_flops_per_s") or None, units.flops)),
    ("MFU", "mfu", lambda r, _: _num(r.get("mfu"), units.share)),
    ("Speedup", "speedup", _speedup),
    ("Step p50", "step_p50", lambda r, _: _num((r.get("step_time_s") or {}).get("median"), units.seconds)),
    ("Spread", "spread", lambda r, _: _num((r.get("step_time_s") or {}).get("spread"),
                                           lambda v: units.percent(v, 0))),
    ("CPU run/machine", "cpu_shares", _cpu),
    ("Peak mem", "peak_mem", _memory),
    ("Energy", "energy", lambda r, _: _num(r.get("energy_j"), units.energy)),
]


class _SortItem(QTableWidgetItem):
    def __lt__(self, other: QTableWidgetItem) -> bool:
        a, b = self.data(Qt.ItemDataRole.UserRole), other.data(Qt.ItemDataRole.UserRole)
        if isinstance(a, float) and isinstance(b, float):
            return a < b
        return self.text() < other.text()  # QTableWidgetItem.__lt__ would recurse here


class ResultsTable(QTableWidget):
    """Finished runs of this session. ``add_result`` appends a row."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setObjectName("resultsTable")
        self.results: list[dict[str, Any]] = []
        for col, (header, metric, _) in enumerate(COLUMNS):
            item = QTableWidgetItem(header)
            item.setToolTip(tip(metric) if metric else "")
            self.setHorizontalHeaderItem(col, item)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setStretchLastSection(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(True)
        self.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # run order
        self.setColumnHidden(TOKENS_COL, True)
        self.fit_columns()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.rowCount():
            return
        painter = QPainter(self.viewport())  # an empty table says what will appear in it
        painter.setPen(QColor(EMPTY_TEXT_COLOUR))
        painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, EMPTY_TEXT)
        painter.end()

    def add_result(self, result: dict[str, Any], cpu_baseline: Mapping[str, Any] | None) -> None:
        """Append a row for ``result``; ``cpu_baseline`` is the session's run to compare it
        with (``Session.baseline_for``), if any."""
        self.results.append(result)
        self.setSortingEnabled(False)
        row = self.rowCount()
        self.insertRow(row)
        flags = [str(w) for w in result.get("warnings") or ()]
        errors = [w.removeprefix(ERROR_PREFIX) for w in flags if w.startswith(ERROR_PREFIX)]
        warnings = [w for w in flags if not w.startswith(ERROR_PREFIX)]
        flagged = "".join(f"\n\u2716 {e}" for e in errors) + "".join(f"\n\u26a0 {w}" for w in warnings)
        for col, (_, metric, extract) in enumerate(COLUMNS):
            text, key, note = extract(result, cpu_baseline)
            grey = isinstance(text, str) and text.startswith(GREY)
            if grey:
                text = str(text)[1:]
            item = _SortItem("n/a" if text is None else str(text))
            if grey:
                item.setForeground(QBrush(QColor(EMPTY_TEXT_COLOUR)))
            item.setData(Qt.ItemDataRole.UserRole, key)
            if text is None and result.get("status") in RunState.UNSUCCESSFUL and metric in MEASURED:
                item.setToolTip(f"n/a: the run {result.get('status')} before this was measured.")
            elif text is None or grey:
                item.setToolTip((note.strip() if note else "") or na_tip(metric))
            elif metric:
                item.setToolTip(tip(metric) + note + (flagged if metric in MEASURED else ""))
            if col == 0:
                item.setIcon(colour_icon(device_colour(str(result.get("device", "")))))
                item.setData(RESULT_ROLE, len(self.results) - 1)  # rows sort: each knows its result
            if col == RUN_COL and result.get("notices"):  # e.g. "FLOPs counted on cpu (…)"
                item.setToolTip("\n".join(f"\u24d8 {n}" for n in result["notices"]))
                item.setText(f"{item.text()}  \u24d8")
            if col == STATUS_COL:
                self._status_cell(item, result, warnings, errors)
            elif errors and text is not None and metric in WRONG:
                item.setForeground(QBrush(QColor(ERROR_COLOUR)))
            elif warnings and text is not None and metric in MEASURED and not grey:
                item.setForeground(QBrush(QColor(WARNING_COLOUR)))
            elif metric == "cpu_shares" and any(w.startswith("contended") for w in warnings):
                item.setForeground(QBrush(QColor(WARNING_COLOUR)))
                item.setToolTip(item.toolTip() + "".join(f"\n\u26a0 {w}" for w in warnings
                                                         if w.startswith("contended")))
            if metric == "mfu" and (result.get("mfu") or 0.0) > MFU_PLAUSIBLE and not errors:
                item.setForeground(QBrush(QColor(ERROR_COLOUR)))
                item.setToolTip(item.toolTip() + "\n\u2716 above 100% of the hardware peak: the FLOP count "
                                "or the peak is wrong (see the run's warnings); trust the throughput")
            if col == 2 or col > STATUS_COL:  # numbers right-aligned
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.setItem(row, col, item)
        self.setSortingEnabled(True)
        self.setColumnHidden(TOKENS_COL, not any(r.get("tokens_per_s") for r in self.results))
        self.fit_columns()

    def result_at(self, row: int) -> dict[str, Any] | None:
        """The result shown in ``row`` (whatever the sort order), or None."""
        item = self.item(row, 0)
        index = item.data(RESULT_ROLE) if item is not None else None
        return self.results[index] if isinstance(index, int) and 0 <= index < len(self.results) else None

    def fit_columns(self) -> None:
        """Columns as wide as their cells or header text, without the room Qt's
        ResizeToContents keeps for a sort arrow on every header (that pushed the last
        columns off a 1280-pixel window)."""
        header = self.horizontalHeader()
        bold = QFont(header.font())
        bold.setWeight(QFont.Weight.DemiBold)  # the stylesheet's header weight
        metrics = QFontMetrics(bold)
        for col in range(self.columnCount() - 1):
            head = self.horizontalHeaderItem(col)
            text_px = metrics.horizontalAdvance(head.text() if head else "") + HEADER_PAD_PX
            header.resizeSection(col, max(text_px, self.sizeHintForColumn(col)))

    def _status_cell(self, item: QTableWidgetItem, result: dict[str, Any], warnings: list[str],
                     errors: list[str] | None = None) -> None:
        partial = partial_reason(result)
        if errors and not result.get("error"):
            item.setText(f"{item.text()} · error")
            item.setToolTip("A figure of this run is wrong:\n" + "\n".join(
                [*(f"Error: {e}" for e in errors), *warnings]))
            item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical))
            item.setForeground(QBrush(QColor(ERROR_COLOUR)))
        elif result.get("error"):
            item.setToolTip(str(result["error"]) + (f"\n{partial}" if partial else ""))
            item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical))
        elif partial:
            item.setToolTip(partial[:1].upper() + partial[1:])
            item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
            item.setForeground(QBrush(QColor(WARNING_COLOUR)))
        elif warnings:
            tag = "noisy" if any(w.startswith("noisy") for w in warnings) else "flagged"
            item.setText(f"{item.text()} · {tag}")
            item.setToolTip("Treat these figures with care:\n" + "\n".join(warnings))
            item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
            item.setForeground(QBrush(QColor(WARNING_COLOUR)))
