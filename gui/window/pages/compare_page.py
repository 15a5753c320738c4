"""The Compare page: stored runs side by side, with PNG, HTML and CSV exports. GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QWidget,
)

from gui.window.pages.page import Page

if TYPE_CHECKING:
    from gui.widgets.compare_view import CompareView
    from profiler.history import HistoryStore


class ComparePage(Page):
    """Runs side by side; saves a PNG, an HTML report or a CSV of the comparison."""

    def __init__(self, go_history: Callable[[], object], parent: QWidget | None = None) -> None:
        super().__init__("Compare runs", "Speedups are shown only between comparable runs: the "
                         "same model and settings on another device, or other settings on one device.",
                         parent)
        self.go_history = go_history
        self.view: CompareView | None = None
        self.png_button = self.add_action("Save PNG", None, "The table and charts at 2x, with a title, "
                                          "the date and the machine")
        self.html_button = self.add_action("Save report", None,
                                           "A one-page report to send: headline, chart, the numbers and "
                                           "what they mean, the machine, caveats (HTML, prints well)")
        self.csv_button = self.add_action("Save CSV", None, "One row per run, one column per metric")
        self.set_has_comparison(False)
        self.show_empty("Nothing to compare yet",
                        "Select two or more runs on the History tab and press Compare.",
                        "Open History", go_history)

    def build(self, store: HistoryStore, dark: bool) -> CompareView:
        if self.view is None:
            from gui.widgets.compare_view import CompareView

            self.view = CompareView(store)
            self.set_dark(dark)
            self.set_content(self.view)
        return self.view

    def set_has_comparison(self, has: bool) -> None:
        for button in (self.png_button, self.html_button, self.csv_button):
            button.setEnabled(has)

    def show_runs(self, store: HistoryStore, run_ids: list[str], dark: bool) -> None:
        view = self.build(store, dark)
        view.set_runs(run_ids)
        view.fit_table()
        self.set_has_comparison(view.comparison is not None)
        if view.comparison is None:
            self.show_empty("Those runs are gone", "They were deleted from history. Select "
                            "runs on the History tab and press Compare.", "Open History",
                            self.go_history)
        else:
            self.show_content()

    def png_title(self) -> str:
        view = self.view
        if view is None or view.comparison is None:
            return "Horsepower · comparison"
        return f"Horsepower · comparison against {view.comparison.baseline.label}"

    def set_dark(self, dark: bool) -> None:
        if self.view is not None:
            self.view.set_dark(dark)
