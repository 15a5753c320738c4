"""The Live page: the summary cards, the step-phase bar, the live plots and this session's
results table; the "Which utilization is true?" panel opens from the plots. GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from gui.widgets.live_plots import LivePlots
from gui.widgets.phase_bar import PhaseBar
from gui.widgets.presentation_header import PresentationHeader
from gui.widgets.results_table import ResultsTable
from gui.widgets.start_progress import StartProgressBar
from gui.widgets.summary_cards import SummaryCards
from gui.widgets.utilization_panel import UtilizationPanel

if TYPE_CHECKING:
    from gui.viewmodel.series_store import SeriesStore
    from gui.viewmodel.session import Session


class LivePage(QWidget):
    """Cards, the phase bar, plots (pulling from ``store`` on the window's timer) and the
    results table."""

    def __init__(self, store: SeriesStore, on_paint: Callable[[float], None],
                 parent: QWidget | None = None, now_s: Callable[[], float] | None = None) -> None:
        super().__init__(parent)
        self.header = PresentationHeader()
        self.cards = SummaryCards()
        self.phases = PhaseBar()
        self.start = StartProgressBar()
        self.plots = LivePlots(store, on_paint, now_s=now_s)
        self.table = ResultsTable()
        self.table.setMinimumHeight(110)
        self.utilization: UtilizationPanel | None = None  # built on first use
        self.plots.sig_utilization_help.connect(self.open_utilization)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.plots)
        split.addWidget(self.table)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.header)
        layout.addWidget(self.cards)
        layout.addWidget(self.start)
        layout.addWidget(self.phases)
        layout.addWidget(split, 1)

    def refresh(self, session: Session, store: SeriesStore) -> None:
        """The start progress and the phase bar of the run in focus (the window's timer)."""
        self.start.display(session.start_progress(store))
        if self.phases.isVisible():
            self.phases.display(session.phase_values(store))

    def open_utilization(self) -> UtilizationPanel:
        """Show the "Which utilization is true?" panel (the window's timer fills it)."""
        if self.utilization is None:
            self.utilization = UtilizationPanel(self)
        self.utilization.show()
        self.utilization.raise_()
        return self.utilization

    @property
    def utilization_open(self) -> bool:
        return self.utilization is not None and self.utilization.isVisible()

    def set_presenting(self, on: bool) -> None:
        """Presentation shows the title and headline and hides the table and the phase bar:
        the headline, the cards and the plots carry the story."""
        self.table.setVisible(not on)
        self.phases.setVisible(not on)
        self.header.setVisible(on)
        self.plots.set_presenting(on)
