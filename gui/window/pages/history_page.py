"""The History page: every stored run, with Compare, Value and Re-run on the selection. GUI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import (
    QWidget,
)

from gui.window.pages.page import Page

if TYPE_CHECKING:
    from gui.widgets.history_view import HistoryView
    from profiler.history import HistoryStore

OPENING = ("Opening run history…", "This takes a moment the first time.")
UNAVAILABLE = "Run history is unavailable"



class HistoryPage(Page):
    """Every stored run; Compare and Value act on the selection."""

    def __init__(self, go_live: Callable[[], None], on_rerun: Callable[[dict[str, Any]], None],
                 parent: QWidget | None = None) -> None:
        super().__init__("Run history", "Every run started here or with `horsepower run` is "
                         "stored while it runs. Select runs to compare them or price them.", parent)
        self.go_live = go_live
        self.on_rerun = on_rerun
        self.view: HistoryView | None = None
        self._hide_generated = False
        self.compare_button = self.add_action("Compare", None,
                                              "Open the selected runs (two or more) side by side")
        self.value_button = self.add_action("Value", None,
                                            "What the selected runs' devices are worth")
        self.scaling_button = self.add_action("Scaling", None,
                                              "Open the selected scale runs (torch.distributed, any world "
                                              "size) in the Scaling tab: efficiency and each rank's time split")
        self.set_selection([])
        self.show_empty(*OPENING)

    def build(self, store: HistoryStore) -> HistoryView:
        if self.view is None:
            from gui.widgets.history_view import HistoryView

            self.view = HistoryView(store, hide_generated=self._hide_generated)
            self.view.sig_selection_changed.connect(self.set_selection)
            self.view.sig_rerun_requested.connect(self.on_rerun)
            self.view.model.modelReset.connect(self.update_state)
            self.set_content(self.view)
            self.update_state()
        return self.view

    @property
    def hide_generated(self) -> bool:
        """Whether sweep points and presentation rounds are hidden (remembered)."""
        return self.view.hide_generated.isChecked() if self.view is not None else self._hide_generated

    @hide_generated.setter
    def hide_generated(self, on: bool) -> None:
        self._hide_generated = on
        if self.view is not None:
            self.view.hide_generated.setChecked(on)

    def set_selection(self, run_ids: list[str]) -> None:
        self.compare_button.setEnabled(len(run_ids) >= 2)
        self.value_button.setEnabled(len(run_ids) >= 1)
        self.scaling_button.setEnabled(len(run_ids) >= 1)

    def update_state(self) -> None:
        view = self.view
        if view is None:
            return
        if view.model.rowCount() == 0 and not view.filter_edit.text().strip() \
                and not view.hide_generated.isChecked() and view.ranks.currentData() is None:
            self.show_empty(
                "No runs yet",
                "Pick a device and a workload on the left and press Start (F5). Each run is "
                "stored here while it runs, so even a run that crashes keeps its steps.",
                "Go to Live", self.go_live)
        else:
            self.show_content()
        self.set_selection(view.selected_ids())

    def refresh(self) -> None:
        if self.view is not None:
            selected = set(self.view.selected_ids())
            self.view.refresh()  # a model reset clears the selection: put it back
            model, chosen = self.view.model, self.view.table.selectionModel()
            flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
            for row, run in enumerate(model.runs):
                if run.run_id in selected:
                    chosen.select(model.index(row, 0), flags)
            self.update_state()
