"""The Live page: the summary cards over the live plots and this session's results table.
GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from gui.widgets.live_plots import LivePlots
from gui.widgets.presentation_header import PresentationHeader
from gui.widgets.results_table import ResultsTable
from gui.widgets.summary_cards import SummaryCards

if TYPE_CHECKING:
    from gui.viewmodel.series_store import SeriesStore


class LivePage(QWidget):
    """Cards, plots (pulling from ``store`` on the window's timer) and the results table."""

    def __init__(self, store: SeriesStore, on_paint: Callable[[float], None],
                 parent: QWidget | None = None, now_s: Callable[[], float] | None = None) -> None:
        super().__init__(parent)
        self.header = PresentationHeader()
        self.cards = SummaryCards()
        self.plots = LivePlots(store, on_paint, now_s=now_s)
        self.table = ResultsTable()
        self.table.setMinimumHeight(110)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.plots)
        split.addWidget(self.table)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.header)
        layout.addWidget(self.cards)
        layout.addWidget(split, 1)

    def set_presenting(self, on: bool) -> None:
        """Presentation shows the title and headline and hides the table: the headline,
        the cards and the plots carry the story."""
        self.table.setVisible(not on)
        self.header.setVisible(on)
        self.plots.set_presenting(on)
