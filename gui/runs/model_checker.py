"""Check a user's own model off the GUI thread: the engine builds it in a short-lived child process.

``check(reference, device)`` reads the reference (``model_spec_fields``: text and file work,
no user code), then on a background thread runs the engine's ``validate_spec`` and
``check_model`` (seconds: the child imports torch, builds the model and runs one batch) and
answers with the check's facts or the one-line error and the user's traceback.
``validate(token, specs)`` checks the specs of a Start the same way (every distinct model
in one child; a model checked before is cached by the engine). A ``SpecError`` is the
user's bug and comes with ``details``; any other exception is ours and is logged in full.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from gui.runs.background import BackgroundCall
from gui.runs.engine_import import engine_imports
from profiler.results.model_ref import ModelRefError, model_spec_fields
from profiler.results.spec import RunSpec, SpecError

log = logging.getLogger(__name__)

CheckFn = Callable[[RunSpec], dict[str, Any]]
ValidateFn = Callable[[Sequence[RunSpec]], None]


def engine_check(spec: RunSpec) -> dict[str, Any]:
    """``validate_spec`` then the engine's ``ModelCheck`` of ``spec`` as a dict. Blocks (seconds)."""
    with engine_imports():
        from profiler.runner.model_check import check_model
        from profiler.runner.validate import validate_spec

    validate_spec(spec)
    return check_model(spec).to_dict()  # cached by the validation: no second child


def engine_validate(specs: Sequence[RunSpec]) -> None:
    """``validate_specs``: every distinct user model in one check process. Blocks."""
    with engine_imports():
        from profiler.runner.validate import validate_specs

    validate_specs(list(specs))


def error_parts(exc: BaseException) -> tuple[str, str]:
    """(one line, details) of a failed check: the user's traceback for a ``SpecError``."""
    if isinstance(exc, (SpecError, ModelRefError)):
        return str(exc), str(getattr(exc, "details", "") or "")
    log.error("model check failed in the window", exc_info=exc)
    return f"the check itself failed ({type(exc).__name__}: {exc}); see the log file", ""


class ModelChecker(QObject):
    """Model checks and pre-start validations, one at a time, off the GUI thread."""

    sig_checked = Signal(str, object)
    """(reference, ``ModelCheck.to_dict()``) the model passed. GUI thread (queued)."""
    sig_check_failed = Signal(str, str, str)
    """(reference, one line, details) it did not pass. GUI thread (queued)."""
    sig_validated = Signal(object, object)
    """(token, the specs) every spec passed: start them. GUI thread (queued)."""
    sig_rejected = Signal(object, str, str)
    """(token, one line, details) a spec did not pass: nothing starts. GUI thread (queued)."""

    def __init__(self, check_fn: CheckFn | None = None, validate_fn: ValidateFn | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.check_fn = check_fn or engine_check
        self.validate_fn = validate_fn or engine_validate
        self.calls = BackgroundCall("model-check", self)
        queued = Qt.ConnectionType.QueuedConnection
        self.calls.sig_done.connect(self._on_done, queued)
        self.calls.sig_failed.connect(self._on_failed, queued)

    @property
    def busy(self) -> bool:
        return self.calls.busy

    def check(self, reference: str, device: str = "cpu") -> bool:
        """Check ``reference`` with its factory's defaults on ``device``; False (and
        ``sig_check_failed`` at once) when the reference itself is wrong."""
        try:
            fields: dict[str, Any] = dict(model_spec_fields(reference))
            spec = RunSpec(**fields, device=device, duration_s=1.0)
        except ModelRefError as exc:
            self.sig_check_failed.emit(reference, str(exc), "")
            return False
        self.calls.submit(("check", reference), lambda: self.check_fn(spec))
        return True

    def validate(self, token: Any, specs: Sequence[RunSpec]) -> None:
        """Check ``specs`` before they start; answers ``sig_validated`` or ``sig_rejected``."""
        specs = list(specs)

        def run() -> list[RunSpec]:
            self.validate_fn(specs)
            return specs

        self.calls.submit(("validate", token), run)

    def _on_done(self, key: Any, value: Any) -> None:
        kind, token = key
        if kind == "check":
            self.sig_checked.emit(token, value)
        else:
            self.sig_validated.emit(token, value)

    def _on_failed(self, key: Any, exc: BaseException) -> None:
        kind, token = key
        message, details = error_parts(exc)
        if kind == "check":
            self.sig_check_failed.emit(token, message, details)
        else:
            self.sig_rejected.emit(token, message, details)

    def cancel(self) -> None:
        """Stop the check under way (its child is killed; the answer says it was stopped)."""
        with engine_imports():
            from profiler.runner.model_check import stop_checks

        stop_checks()

    def shutdown(self, timeout_s: float = 2.0) -> bool:
        """Stop a check under way (a hung model must not keep the window's process alive), then
        join the check thread."""
        if self.busy:
            self.cancel()
        return self.calls.shutdown(timeout_s)
