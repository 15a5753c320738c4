"""Scripted window runs: start one run, save a screenshot and the result JSON, quit.

``horsepower gui --run DEVICE:WORKLOAD --screenshot FILE [--screenshot-at S] --json FILE
--quit-after S``. The screenshot is taken when the run ends or, with ``--screenshot-at``,
that many seconds after the timed window starts (mid-run, plots moving); the JSON is
always written after the run ends, through ``profiler.outputs.write_text``: when that fails
(disk full, a read-only file system), one line says why and where the result is (in history,
or a rescue copy in the temp dir), and the window still quits, exit code 1. The deadline stops
a run that is still going, so the command always ends.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication

from gui.window.main_window import MainWindow
from profiler import units
from profiler.outputs import OutputWriteError, rescue_copy, write_text
from profiler.results.result import RunResult, RunState
from profiler.results.spec import RunSpec

log = logging.getLogger(__name__)

SETTLE_MS = 600  # let the last refresh paint before the screenshot


def parse_run(text: str) -> tuple[str, str]:
    """``DEVICE:WORKLOAD`` -> (device, workload); the device may itself hold a colon."""
    device, sep, workload = text.rpartition(":")
    if not sep or not device or not workload:
        raise ValueError(f"--run wants DEVICE:WORKLOAD (e.g. cpu:mlp), got {text!r}")
    return device, workload


class ScriptedRun(QObject):
    """Drives one window through a scripted run. ``exit_code`` is 0 when it completed."""

    def __init__(self, window: MainWindow, spec: RunSpec | None, screenshot: str | None,
                 json_path: str | None, quit_after_s: float | None,
                 screenshot_at_s: float | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.spec = spec
        self.screenshot = screenshot
        self.json_path = json_path
        self.result: dict[str, Any] | None = None
        self.exit_code = 0 if spec is None else 1
        self.run_id: str | None = None
        self.screenshot_at_s = screenshot_at_s
        self.screenshot_taken_at_s: float | None = None  # seconds into the timed window
        self._measuring_since: float | None = None
        self._done = False
        self._deadline = QTimer(self, singleShot=True)
        self._deadline.timeout.connect(self._on_deadline)
        if quit_after_s is not None:
            self._deadline.setInterval(int(quit_after_s * 1000))

    def start(self) -> None:
        bridge = self.window.bridge
        bridge.connect_queued(bridge.sig_run_finished, self._on_run_finished)
        if self.screenshot and self.screenshot_at_s is not None:
            bridge.connect_queued(bridge.sig_run_state_changed, self._on_state_changed)
        if self._deadline.interval() > 0:
            self._deadline.start()
        if self.spec is not None:
            self._show_settings(self.spec)
            self.run_id = self.window.start_runs([self.spec])[0]
            log.info("scripted run %s: %s", self.run_id, self.spec.title)

    def _show_settings(self, spec: RunSpec) -> None:
        """Make the sidebar show the scripted run's settings (screenshots must not disagree)."""
        controls = getattr(self.window, "controls", None)
        if controls is None:
            return
        index = controls.size_preset.findText(spec.size)
        if index >= 0:
            controls.size_preset.setCurrentIndex(index)
        controls.batch.setValue(spec.batch_size or 0)
        index = controls.precision.findText(spec.precision)
        if index >= 0:
            controls.precision.setCurrentIndex(index)
        controls.duration.setValue(spec.duration_s or controls.duration.value())
        controls.threads.setValue(spec.threads or 0)
        loader = getattr(self.window, "loader", None)
        if loader is not None:
            loader.sig_loaded.connect(self._show_workload, Qt.ConnectionType.QueuedConnection)
        self._show_workload()

    def _show_workload(self, *_: object) -> None:
        controls = self.window.controls
        if self.spec is None or not controls.workloads:
            return
        index = controls.workload.findData(self.spec.workload)
        if index >= 0:
            controls.workload.setCurrentIndex(index)
            controls.set_running(self.window.runs.busy)

    def _on_state_changed(self, run_id: str, state: str, message: str) -> None:
        if run_id != self.run_id or state != RunState.MEASURING or self._measuring_since is not None:
            return
        self._measuring_since = time.monotonic()
        QTimer.singleShot(int(max(0.0, self.screenshot_at_s or 0.0) * 1000), self._mid_run_shot)

    def _mid_run_shot(self) -> None:
        if self._done or self.result is not None or self.screenshot_taken_at_s is not None:
            return
        self.window.tick()  # the latest data, as the next refresh would show it
        self._save_screenshot()
        since = self._measuring_since or time.monotonic()
        self.screenshot_taken_at_s = time.monotonic() - since
        log.info("mid-run screenshot %s at %.1f s into the timed window",
                 self.screenshot, self.screenshot_taken_at_s)

    def _save_screenshot(self) -> None:
        if not self.screenshot:
            return
        Path(self.screenshot).parent.mkdir(parents=True, exist_ok=True)
        if not self.window.grab().save(self.screenshot, "PNG"):
            log.error("could not save screenshot to %s", self.screenshot)
            self.exit_code = 1

    def _on_run_finished(self, run_id: str, result: RunResult) -> None:
        if run_id != self.run_id:
            return
        self.result = result.to_dict()  # the JSON edge
        self.exit_code = 0 if result.status == "completed" else 1
        QTimer.singleShot(SETTLE_MS, self._finish)

    def _on_deadline(self) -> None:
        self.stop_now("--quit-after")

    def stop_now(self, why: str) -> None:
        """Stop the run (it is stored, marked stopped), write ``--json`` and quit."""
        if self.spec is not None and self.result is None:
            log.warning("%s before the run ended; stopping it", why)
            self.window.stop_runs()
            self.window.runs.shutdown(2.0)
            QApplication.processEvents()  # deliver the queued finished signal
        self._finish()

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        try:
            self.window.tick()
            if self.screenshot and self.screenshot_taken_at_s is None:
                if self.screenshot_at_s is not None:
                    log.warning("the run ended before --screenshot-at %.1f s; screenshot taken at the end",
                                self.screenshot_at_s)
                self._save_screenshot()
            if self.json_path and self.result is not None:
                self._write_json(self.json_path, self.result)
        except Exception:  # whatever went wrong, a scripted run ends: --quit-after is a promise
            self.exit_code = 1
            log.exception("scripted run failed while finishing")
        finally:
            QTimer.singleShot(0, self.window.close)
            QTimer.singleShot(0, QApplication.quit)

    def _write_json(self, path: str, result: dict[str, Any]) -> None:
        """Write the result JSON; a failure is one log line (and exit code 1), never a hang."""
        text = json.dumps(result, indent=2)
        try:
            write_text(path, text)
        except OutputWriteError as exc:
            self.exit_code = 1
            run_id = str(result.get("run_id") or self.run_id or "run")
            history = getattr(self.window, "history", None)
            if history is not None and history.in_history(run_id):
                where = f"the run is in history as {run_id} (`horsepower export {run_id} --json FILE` writes it)"
            else:
                kept = rescue_copy(run_id, text)
                where = f"the result was saved to {kept} instead" if kept else "the result could not be saved anywhere"
            log.error("--json not written: %s; %s", units.plain(exc), where)
