"""The sidebar shows the run in focus. GUI thread.

Selecting one run in the Live results table puts it in focus (the cards show it) and fills the
sidebar's device, workload, size, batch, precision, threads and input fields with that run's
settings; a History "Re-run" shows the re-run's settings there as it starts. Nothing is started
from here: Start runs whatever the sidebar then says.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

from profiler.results.spec import RunSpec

if TYPE_CHECKING:
    from gui.runs.run_manager import RunManager
    from gui.viewmodel.session import Session
    from gui.widgets.device_picker import DevicePicker
    from gui.widgets.results_table import ResultsTable
    from gui.widgets.run_controls import RunControls
    from gui.window.tabs import WorkspaceTabs

log = logging.getLogger(__name__)


class FocusHost(Protocol):
    """What the follower uses of the window (``MainWindow`` is one)."""

    @property
    def table(self) -> ResultsTable: ...
    @property
    def controls(self) -> RunControls: ...
    @property
    def picker(self) -> DevicePicker: ...
    @property
    def workspace(self) -> WorkspaceTabs: ...
    @property
    def session(self) -> Session: ...
    @property
    def runs(self) -> RunManager: ...


class FocusFollow:
    """Connects the run-choosing views to the sidebar (built before the window's own wiring, so
    a re-run's settings show before it starts)."""

    def __init__(self, window: FocusHost) -> None:
        self.window = window
        window.table.itemSelectionChanged.connect(self.on_table_selection)
        window.workspace.sig_rerun_requested.connect(self.on_rerun)

    def on_table_selection(self) -> None:
        """One row picked in the Live results table: its run in focus, its settings shown."""
        rows = {index.row() for index in self.window.table.selectionModel().selectedRows()}
        if len(rows) != 1:
            return
        result = self.window.table.result_at(rows.pop())
        if result is None:
            return
        spec = self._spec_of(result)
        run_id = str(result.get("run_id") or "")
        if run_id in self.window.session.results:
            self.window.session.focus = run_id
        if spec is not None:
            self.show(spec)

    def on_rerun(self, spec: RunSpec) -> None:
        """History's Re-run: the sidebar says what is about to run (not while another run goes:
        the re-run is refused then and the sidebar keeps the running one's settings)."""
        if not self.window.runs.busy:
            self.show(spec)

    def show(self, spec: RunSpec) -> None:
        """``spec``'s device ticked (alone) and its settings in the fields."""
        self.window.picker.select([spec.device])
        self.window.controls.show_spec(spec)

    @staticmethod
    def _spec_of(result: dict[str, Any]) -> RunSpec | None:
        raw = result.get("spec")
        if not isinstance(raw, dict):
            return None
        try:
            return RunSpec.from_dict(raw)
        except (TypeError, ValueError) as exc:
            log.info("the run in focus has a spec the sidebar cannot show: %s", exc)
            return None
