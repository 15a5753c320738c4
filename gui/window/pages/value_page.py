"""The Value page: prices and job projections for the selected runs' devices. GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QWidget,
)

from gui.window.pages.page import Page

if TYPE_CHECKING:
    from gui.widgets.value_view import ValueView
    from profiler.history import HistoryStore


class ValuePage(Page):
    """Prices and job projections for the selected runs' devices."""

    def __init__(self, go_history: Callable[[], object], parent: QWidget | None = None) -> None:
        super().__init__("Value", "Samples per joule and per unit of money, and what a "
                         "training job would take and cost on each device. Prices apply as you type.",
                         parent)
        self.view: ValueView | None = None
        self.job: dict[str, Any] = {}
        self.show_empty("No runs to value yet",
                        "Select runs on the History tab and press Value. Prices you enter "
                        "here apply at once and are kept for next time.", "Open History", go_history)

    def show_runs(self, store: HistoryStore, run_ids: list[str]) -> None:
        if self.view is None:
            from gui.widgets.value_view import ValueView

            self.view = ValueView(store)
            self.view.apply_job(self.job)
            self.set_content(self.view)
        self.view.set_runs(run_ids)
        self.view.fit_tables()
        self.show_content()

    def job_settings(self) -> dict[str, Any]:
        return self.view.job_settings() if self.view is not None else dict(self.job)
