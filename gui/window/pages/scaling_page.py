"""The Scaling page: the scale form, progress per world size, Stop, and the sweep drawn. GUI thread.

The page shows what ``profiler.analysis.scaling_view.scale_report`` makes of a sweep, whether it
just ran here (``on_point_finished``/``on_finished``) or was stored in history (``show_runs``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtWidgets import QFrame, QLabel, QProgressBar, QScrollArea, QVBoxLayout, QWidget

from gui.widgets.scaling_form import ScalingForm
from gui.widgets.scaling_view import ScalingView
from gui.window.pages.page import Page
from profiler import units
from profiler.analysis.scaling_view import scale_report

NO_SCALING_YET = ("No scale sweep shown yet: choose a workload and world sizes above and press Run "
                  "scaling, or open a stored sweep. Efficiency, the per-rank time split and the "
                  "all-reduce bandwidth appear here as each world size finishes.")


class ScalingPage(Page):
    """Scale form on top, the sweep below; the tab owner connects ``form`` and ``stop_button``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Scaling", "Train the same workload on 1, 2, 4 … ranks with torch.distributed "
                         "and see what each added device is worth, and where each rank's time goes.", parent)
        self.stop_button = self.add_action("Stop scaling", None,
                                           "Stop now: the running world size's ranks are stopped, finished "
                                           "world sizes are kept")
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setEnabled(False)
        self.form = ScalingForm()
        self.view = ScalingView()
        self.hint = QLabel(NO_SCALING_YET, objectName="emptyText", wordWrap=True)
        self.progress = QProgressBar(textVisible=False, maximumHeight=6)
        self.progress_label = QLabel("", objectName="mutedLabel", wordWrap=True)
        self.stored: list[Any] = []  # ScaleGroup, in the form's picker order
        self.started_at = 0.0
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.form)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.hint)
        layout.addWidget(self.view, 1)
        self.view.hide()
        scroll = QScrollArea(objectName="scalingScroll")  # a short screen scrolls; the window never grows
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        self.set_content(scroll)
        self.show_content()
        self.set_running(False)

    # ---- what is shown ---------------------------------------------------------------
    def show_runs(self, runs: Sequence[Mapping[str, Any]]) -> None:
        """Draw one sweep's result dicts (any order, failed ones too)."""
        if not runs:
            return
        self.hint.hide()
        self.view.show()
        self.view.show_report(scale_report(list(runs)))

    def set_stored(self, groups: Sequence[Any]) -> None:
        self.stored = list(groups)
        self.form.set_stored([g.label for g in self.stored])

    # ---- progress --------------------------------------------------------------------
    def begin(self, nprocs: Sequence[int]) -> None:
        self.progress.setRange(0, len(nprocs))
        self.progress.setValue(0)
        self.progress_label.setText(f"Starting {nprocs[0]} rank(s)…")
        self.started_at = time.monotonic()

    def on_progress(self, text: str, done: int, total: int) -> None:
        self.progress_label.setText(f"World size {done + 1} of {total} · {text}")

    def on_point_finished(self, results: list[dict[str, Any]], done: int, total: int) -> None:
        self.progress.setValue(done)
        self.show_runs(results)

    def on_finished(self, results: list[dict[str, Any]], stopped: bool, total: int) -> None:
        took = units.seconds(time.monotonic() - self.started_at)
        failed = [r for r in results if r.get("status") != "completed"]
        if stopped:
            text = f"Stopped after {took}: {len(results) - len(failed)} of {total} world sizes measured."
        elif failed:
            text = (f"World size {failed[0].get('distributed', {}).get('world_size', '?')} failed: "
                    f"{failed[0].get('error') or failed[0].get('status')}; the world sizes after it were not run.")
        else:
            text = f"{len(results)} of {total} world sizes measured in {took}; stored in History."
        self.progress_label.setText(text)
        if results:
            self.show_runs(results)

    def on_failed(self, message: str) -> None:
        self.form.error_label.setText(f"The scale sweep could not run: {message}")
        self.progress_label.setText("")

    def set_running(self, running: bool) -> None:
        self.stop_button.setEnabled(running)
        self.progress.setVisible(running)
        self.form.set_running(running)

    def set_dark(self, dark: bool) -> None:
        self.view.set_dark(dark)
