"""The Scaling tab's actions, mixed into ``WorkspaceTabs``: start a scale sweep after
``horsepower scale``'s own checks, show its end, list stored sweeps off the GUI thread and open
stored scale runs picked in History. GUI thread. The attributes used (``scaling``, ``scales``,
``scale_check``, ``scale_fn``, ``scale_groups``, ``store``, ``sweeps``, ``history``, the
signals) are set up by ``WorkspaceTabs``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import SignalInstance

from gui.runs.scale_runner import ScaleFn, ScaleRequestError

if TYPE_CHECKING:
    from gui.runs.background import BackgroundCall
    from gui.runs.scale_runner import ScaleRunner
    from gui.runs.sweep_runner import SweepRunner
    from gui.window.pages.history_page import HistoryPage
    from gui.window.pages.scaling_page import ScalingPage
    from profiler.history.store import HistoryStore


class ScalingActions:
    # What the host (``WorkspaceTabs``) sets up; declared so the mixin is checked against it.
    sig_status: SignalInstance
    sig_message: SignalInstance
    scaling: ScalingPage
    scales: ScaleRunner
    sweeps: SweepRunner
    history: HistoryPage
    busy_fn: Callable[[], bool]
    scale_check: Callable[[dict[str, Any]], tuple[Any, list[int]]]
    scale_fn: ScaleFn | None
    scale_groups: BackgroundCall
    store: HistoryStore | None
    _closed: bool
    show_tab: Callable[[str], object]
    @property
    def jobs_busy(self) -> bool:
        """A knob sweep or a scale sweep is running."""
        return self.sweeps.busy or self.scales.busy

    def start_scale(self, request: dict[str, Any], scale_fn: ScaleFn | None = None) -> bool:
        """Run ``request`` (the Scaling form's dict) after ``horsepower scale``'s checks; False,
        with the engine's one line under the form, when it cannot start: nothing starts."""
        form = self.scaling.form
        if self.busy_fn() or self.jobs_busy:
            form.error_label.setText("Another run is going: stop it first, so the ranks have the machine "
                                     "to themselves.")
            return False
        try:
            config, nprocs = self.scale_check(request)
        except ScaleRequestError as exc:
            form.error_label.setText(f"Cannot start: {exc}")
            return False
        form.error_label.setText("")
        self.scaling.begin(nprocs)
        self.scales.start(config, nprocs, scale_fn or self.scale_fn)
        return True

    def _on_scale_finished(self, results: list[dict[str, Any]], stopped: bool) -> None:
        self.scaling.on_finished(results, stopped, len(self.scales.world_sizes) or len(results))
        self.sig_status.emit("Scaling stopped" if stopped else "Scaling finished")

    def list_stored_scales(self) -> None:
        """Fill the Scaling tab's stored-sweep picker from history, off the GUI thread."""
        store = self.store
        if store is None or self._closed:
            return
        from profiler.analysis.scaling_view import stored_scale_groups

        self.scale_groups.submit("groups", lambda: stored_scale_groups(store))

    def _on_open_stored(self, index: int) -> None:
        if 0 <= index < len(self.scaling.stored):
            self.scaling.show_runs(self.scaling.stored[index].runs)

    def _on_scaling_clicked(self) -> None:
        if self.history.view is not None:
            self.scale_runs(self.history.view.selected_ids())

    def scale_runs(self, run_ids: list[str]) -> bool:
        """Open the stored scale runs among ``run_ids`` in the Scaling tab; False (and a banner)
        when none of them trained on torch.distributed."""
        if self.store is None:
            return False
        from profiler.analysis.scaling_view import scale_groups

        groups = scale_groups([r for r in (self.store.get(i) for i in run_ids) if r is not None])
        if not groups:
            self.sig_message.emit("warning", "Not a scale run",
                                  "None of the selected runs trained on torch.distributed; run one on the "
                                  "Scaling tab or with `horsepower scale`.")
            return False
        self.scaling.show_runs(groups[0].runs)
        self.show_tab("Scaling")
        if len(groups) > 1:
            self.sig_status.emit(f"The selection holds {len(groups)} scale sweeps; showing the newest: "
                                 f"{groups[0].label}")
        return True
