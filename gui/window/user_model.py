"""The window's side of a user's own model: check it, show what the engine found, validate before Start.

The sidebar's ``ModelPicker`` asks for a check; ``ModelChecker`` builds the model in a child
process off the GUI thread; a pass fills the knob fields (and the Sweep tab's workload list),
a failure shows the one line and the user's traceback behind "Details…" (their bug, never a
crash of ours). Start with "Your model…" validates the specs the same way first, so a model
that does not pass starts nothing and records nothing. GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject

from gui.runs.model_checker import CheckFn, ModelChecker, ValidateFn
from gui.widgets.model_picker import ModelFacts
from profiler.results.spec import RunSpec

if TYPE_CHECKING:
    from PySide6.QtWidgets import QStatusBar

    from gui.runs.run_manager import RunManager
    from gui.widgets.device_picker import DevicePicker
    from gui.widgets.message_banner import MessageBanner
    from gui.widgets.run_controls import RunControls
    from gui.window.demo_mode import DemoController
    from gui.window.tabs import WorkspaceTabs

log = logging.getLogger(__name__)

CHECK_FAILED = "Your model did not pass the check"
THEIR_BUG = ("Fix it in your model's code (the traceback under Details… is from your code, not from "
             "Horsepower), then press Check again. The protocol: docs/YOUR_MODEL.md.")


class UserModelHost(Protocol):
    """What the flow uses of the window (``MainWindow`` is one)."""

    @property
    def controls(self) -> RunControls: ...
    @property
    def picker(self) -> DevicePicker: ...
    @property
    def status(self) -> QStatusBar: ...
    @property
    def workspace(self) -> WorkspaceTabs: ...
    @property
    def runs(self) -> RunManager: ...
    @property
    def demo(self) -> DemoController: ...
    @property
    def banner(self) -> MessageBanner: ...


class UserModelFlow(QObject):
    """Connects the sidebar's model picker, the model checker and the window's Start."""

    def __init__(self, window: UserModelHost, check_fn: CheckFn | None = None,
                 validate_fn: ValidateFn | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.picker = window.controls.model_picker
        self.checker = ModelChecker(check_fn, validate_fn, self)
        self.pending: tuple[list[RunSpec], Callable[[list[RunSpec]], object]] | None = None
        self._tokens = 0
        self.picker.sig_check_requested.connect(self.check)
        self.checker.sig_checked.connect(self._on_checked)
        self.picker.sig_cancel_requested.connect(self.cancel_check)
        self.checker.sig_check_failed.connect(self._on_check_failed)
        self.checker.sig_validated.connect(self._on_validated)
        self.checker.sig_rejected.connect(self._on_rejected)

    @property
    def validating(self) -> bool:
        return self.pending is not None

    def check(self, reference: str) -> None:
        """Check ``reference`` on the first ticked device (the CPU when none is ticked)."""
        device = next(iter(self.window.picker.selected_ids()), "cpu")
        self.picker.set_checking()
        self.window.status.showMessage(f"Checking {reference}…", 8000)
        self.checker.check(reference, device)

    def cancel_check(self) -> None:
        """Cancel: the check process is killed; its answer (a failed check) follows."""
        self.window.status.showMessage("Stopping the model check…", 5000)
        self.checker.cancel()

    def _on_checked(self, reference: str, check: dict) -> None:
        if reference != self.picker.text():
            return  # the user named another model meanwhile
        facts = ModelFacts.from_check(reference, check)
        self.window.controls.set_model_facts(facts)
        self.window.workspace.set_user_model(facts)
        self.window.status.showMessage(f"{facts.label}: checked, ready to start", 8000)

    def _on_check_failed(self, reference: str, message: str, details: str) -> None:
        if reference == self.picker.text():
            self.picker.set_failed(message, details)

    # ---- Start ---------------------------------------------------------------------
    def start(self, specs: Sequence[RunSpec], start_fn: Callable[[list[RunSpec]], object]) -> bool:
        """Validate ``specs`` off the GUI thread, then ``start_fn(specs)``; False when a
        validation is already under way."""
        if self.pending is not None:
            return False
        self._tokens += 1
        self.pending = (list(specs), start_fn)
        self.window.controls.start_button.setEnabled(False)
        self.window.controls.start_button.setText("Checking…")
        self.window.status.showMessage(f"Checking {specs[0].model_label} before it starts…", 10000)
        self.checker.validate(self._tokens, specs)
        return True

    def _done(self) -> tuple[list[RunSpec], Callable[[list[RunSpec]], object]] | None:
        pending, self.pending = self.pending, None
        self.window.controls.start_button.setText("Start")
        self.window.controls.set_running(self.window.runs.busy)
        return pending

    def _on_validated(self, token: int, specs: list[RunSpec]) -> None:
        pending = self._done()
        if pending is None or token != self._tokens or self.window.runs.busy:
            return
        pending[1](specs)

    def _on_rejected(self, token: int, message: str, details: str) -> None:
        if self._done() is None or token != self._tokens:
            return
        self.picker.set_failed(message, details)
        self.window.demo.leave()
        self.window.banner.show_message("error", CHECK_FAILED, message, THEIR_BUG, details=details)

    def shutdown(self, timeout_s: float) -> bool:
        self.pending = None
        return self.checker.shutdown(timeout_s)
