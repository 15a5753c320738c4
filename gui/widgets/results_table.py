"""Table of finished runs, one row each, coloured by device. GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from gui.metrics_help import na_tip, tip
from gui.theme import colour_icon, device_colour, fmt_bytes, fmt_count

Extractor = Callable[[dict[str, Any], float | None], tuple[str | None, float | None]]


def _num(value: Any, fmt: str) -> tuple[str | None, float | None]:
    if value is None:
        return None, None
    return fmt.format(value), float(value)


def _peak_mem(r: dict[str, Any]) -> float | None:
    tele = r.get("telemetry") or {}
    dev = r.get("device", "cpu")
    for key in (f"{dev}.peak_alloc_bytes", f"{dev}.alloc_bytes", "host.process_rss_bytes",
                "process_rss_bytes"):
        stats = tele.get(key)
        if stats and stats.get("max") is not None:
            return float(stats["max"])
    return None


def _spread(r: dict[str, Any]) -> float | None:
    st = r.get("step_time_s") or {}
    if st.get("p5") and st.get("p95"):
        return st["p95"] / st["p5"]
    return None


def _p50(r: dict[str, Any]) -> float | None:
    return (r.get("step_time_s") or {}).get("median")


#: header, tooltip metric, extractor(result, cpu_baseline) -> (text or None for n/a, sort key)
COLUMNS: list[tuple[str, str, Extractor]] = [
    ("Device", "", lambda r, _: (r.get("device"), None)),
    ("Workload", "", lambda r, _: (f"{r.get('workload')}-{r.get('size')}", None)),
    ("Precision", "", lambda r, _: (r.get("precision"), None)),
    ("Batch", "", lambda r, _: _num(r.get("batch_size") or None, "{:d}")),
    ("Status", "status", lambda r, _: (r.get("status"), None)),
    ("Samples/s", "samples_per_s", lambda r, _: (
        (fmt_count(r["samples_per_s"]), r["samples_per_s"]) if r.get("samples_per_s") else (None, None)
    )),
    ("TFLOP/s", "tflops", lambda r, _: _num(
        r["achieved_flops_per_s"] / 1e12 if r.get("achieved_flops_per_s") else None, "{:.3g}")),
    ("MFU", "mfu", lambda r, _: _num(r.get("mfu"), "{:.0%}")),
    ("Speedup vs CPU", "speedup", lambda r, cpu: _num(
        r["samples_per_s"] / cpu if cpu and r.get("samples_per_s") else None, "{:.3g}×")),
    ("Step p50 (ms)", "step_p50", lambda r, _: _num(
        _p50(r) * 1e3 if _p50(r) else None, "{:.3g}")),
    ("Spread", "spread", lambda r, _: _num(_spread(r), "{:.2f}×")),
    ("Peak memory", "peak_mem", lambda r, _: (
        (fmt_bytes(_peak_mem(r)), _peak_mem(r)) if _peak_mem(r) else (None, None))),
    ("Energy (J)", "energy", lambda r, _: _num(r.get("energy_j"), "{:.4g}")),
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
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(True)
        self.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # run order

    def add_result(self, result: dict[str, Any], cpu_baseline: float | None) -> None:
        self.results.append(result)
        self.setSortingEnabled(False)
        row = self.rowCount()
        self.insertRow(row)
        for col, (_, metric, extract) in enumerate(COLUMNS):
            text, key = extract(result, cpu_baseline)
            item = _SortItem("n/a" if text is None else str(text))
            item.setData(Qt.ItemDataRole.UserRole, key)
            if text is None:
                item.setToolTip(na_tip(metric))
            elif metric:
                item.setToolTip(tip(metric))
            if col == 0:
                item.setIcon(colour_icon(device_colour(str(result.get("device", "")))))
            if col == 4 and result.get("error"):
                item.setToolTip(str(result["error"]))
            if col > 2:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.setItem(row, col, item)
        self.setSortingEnabled(True)
