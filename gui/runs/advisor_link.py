"""The Advisor tab's link to the engine: read the constraints, gather the inputs, advise, off the GUI thread.

``AdvisorLink.ask(token, form, run=..., run_id=...)`` runs, on a background thread and in
this order, the same calls as ``horsepower advise`` (``profiler.cli.advise``):
``read_constraints`` (a bad field raises ``ConstraintError`` before anything is computed),
the run (the given result dict, or the stored one, rebuilt as a ``RunResult``),
``gather_inputs(store)`` (the catalogue with the user's ``hardware.json``, history and
reference runs), ``advise_run`` and the tab's plain view of the answer
(``gui.viewmodel.advice_view``). It answers on the GUI thread with ``sig_answered(token,
advice, view)`` or ``sig_rejected(token, one line)``: the user's input was wrong (constraints,
``hardware.json``, a run no longer stored), or ``sig_failed(token, one line)``: ours, logged
in full. The first advice replays the model on the meta device (0.1-2 s).

A model not trained here (the form's ``model`` and ``knobs``: ``horsepower advise --model``)
is counted in a child process (``profiler.analysis.advisor.count_child``: its code never runs
in the window; seconds, tens for a large ``hf:`` model), then advised on the same way
(``advise_model``); ``stop_count`` (the user's Stop) and ``shutdown`` kill a count in progress.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal

from gui.runs.background import BackgroundCall
from gui.runs.engine_import import engine_imports

if TYPE_CHECKING:
    from profiler.analysis.advisor.count_child import OutOfProcessCount
    from profiler.history import HistoryStore

log = logging.getLogger(__name__)

#: the form's fields, as ``profiler.reports.advisor.read_constraints`` names its arguments
FORM_FIELDS = ("samples", "epochs", "budget", "deadline", "mode", "years", "hours_per_day", "electricity")

#: ``engine_advise``'s signature: (form, run dict or None, run id, store, a model's counter or None)
AdviseFn = Callable[[Mapping[str, str], "Mapping[str, Any] | None", str, "HistoryStore | None", Any],
                    tuple[Any, Any]]


class AdviceRejected(ValueError):
    """The user's input cannot be advised on; the message is one line for the tab."""


def stored_run(store: HistoryStore | None, run_id: str) -> dict[str, Any]:
    """The stored run ``run_id`` without its time series (``AdviceRejected`` when it is gone)."""
    run = store.get(run_id) if store is not None else None
    if run is None:
        raise AdviceRejected(f"run {run_id!r} is no longer in the history; pick another")
    return {k: v for k, v in run.items() if k not in ("series", "history")}


def engine_advise(form: Mapping[str, str], run: Mapping[str, Any] | None, run_id: str,
                  store: HistoryStore | None, counter: OutOfProcessCount | None = None) -> tuple[Any, Any]:
    """(``Advice``, ``AdviceView``) for ``run`` (or the stored ``run_id``), or for the form's
    ``model`` (with its ``knobs``) when it names one, under the form's constraints. Blocks (up
    to ~2 s for a run; a model is counted by ``counter``, an ``OutOfProcessCount``, in a child
    process: seconds); raises ``AdviceRejected`` for the user's mistakes."""
    with engine_imports():
        import profiler.analysis.advisor.text  # noqa: F401  (the view's cells, imported under the lock)
        from profiler.analysis.advisor import ConstraintError, OverrideError
        from profiler.analysis.advisor.corpus import CorpusError
        from profiler.analysis.advisor.precision import PrecisionError, check_precision
        from profiler.analysis.advisor.subject import SubjectError, check_batch
        from profiler.reports.advisor import advise_run, gather_inputs, read_constraints
        from profiler.results.result import UnreadableResult, read_result

    from gui.viewmodel.advice_view import advice_view

    try:
        constraints = read_constraints(**{k: form.get(k) or None for k in FORM_FIELDS if k != "mode"},
                                       mode=form.get("mode") or "auto")
        batch = check_batch(form.get("batch") or None)
        precision = check_precision(form["precision"]) if form.get("precision") else None
        if form.get("model"):
            advice = _advise_model(form, batch, precision, constraints, store, counter)
            return advice, advice_view(advice)
        data = dict(run) if run is not None else stored_run(store, run_id)
        try:
            subject = read_result(data)
        except UnreadableResult as exc:
            raise AdviceRejected(f"run {run_id!r} cannot be read as a run ({exc}); pick another") from None
        inputs = gather_inputs(store)
        advice = advise_run(subject, constraints, inputs, precision=precision, batch=batch)
    except (ConstraintError, OverrideError, CorpusError, PrecisionError, SubjectError) as exc:
        raise AdviceRejected(str(exc)) from None
    return advice, advice_view(advice)


def _advise_model(form: Mapping[str, str], batch: int | None, precision: str | None, constraints: Any,
                  store: HistoryStore | None, counter: OutOfProcessCount | None) -> Any:
    """``advise_model`` of the form's model, counted in a child process (its code never runs here)."""
    with engine_imports():
        from profiler.analysis.advisor.count_child import OutOfProcessCount
        from profiler.analysis.advisor.model_facts import CountError
        from profiler.reports.advisor import advise_model, gather_inputs
        from profiler.workloads.knobs import KnobError, parse_knob_list

    ref = form["model"].strip()
    if batch is None or precision is None:
        raise AdviceRejected("a model not trained here needs the batch and the precision you will train with")
    try:
        knobs = parse_knob_list(form.get("knobs") or "")
        facts = (counter or OutOfProcessCount())(ref, knobs)
    except (KnobError, CountError) as exc:
        raise AdviceRejected(str(exc)) from None
    return advise_model(ref, knobs, batch, precision, constraints, gather_inputs(store), facts=facts)


def published_models() -> list[Any]:
    """The corpus's models the Advisor's menu offers: those whose counted facts ship (a model of
    a library that could not be counted there is not offered). Imports under the engine lock."""
    with engine_imports():
        from profiler.analysis.advisor.corpus import published_models as corpus_models
        from profiler.analysis.advisor.model_facts import facts_key, shipped_facts

    counted = shipped_facts()
    return [m for m in corpus_models() if facts_key(m.ref, m.knobs) in counted]


class AdvisorLink(QObject):
    """One advice at a time, off the GUI thread; the newest waiting request wins."""

    sig_answered = Signal(object, object, object)
    """(token, ``Advice``, ``AdviceView``). GUI thread (queued)."""
    sig_rejected = Signal(object, str)
    """(token, one line naming what is wrong with the user's input). GUI thread (queued)."""
    sig_failed = Signal(object, str)
    """(token, one line: the advisor itself failed; the log has the traceback). GUI thread (queued)."""

    def __init__(self, advise_fn: AdviseFn | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.advise_fn: AdviseFn = advise_fn or engine_advise
        self.counter: OutOfProcessCount | None = None  # a model's count (stopped, or cancelled on shutdown)
        self.calls = BackgroundCall("advisor", self)
        queued = Qt.ConnectionType.QueuedConnection
        self.calls.sig_done.connect(self._on_done, queued)
        self.calls.sig_failed.connect(self._on_failed, queued)

    @property
    def busy(self) -> bool:
        return self.calls.busy

    def ask(self, token: Any, form: Mapping[str, str], run: Mapping[str, Any] | None = None, run_id: str = "",
            store: HistoryStore | None = None) -> None:
        """Advise on ``run`` (a result dict), the stored ``run_id``, or the form's ``model``. GUI thread."""
        form = dict(form)
        subject = dict(run) if run is not None else None
        fn = self.advise_fn
        counter = self._counter() if form.get("model") else None
        self.calls.submit(token, lambda: fn(form, subject, run_id, store, counter))

    def _counter(self) -> OutOfProcessCount:
        """The link's ``OutOfProcessCount``, made on the first model's advice. GUI thread (so
        ``shutdown`` always sees the one a count uses)."""
        if self.counter is None:
            with engine_imports():
                from profiler.analysis.advisor.count_child import OutOfProcessCount
            self.counter = OutOfProcessCount()
        return self.counter

    def _on_done(self, token: Any, value: tuple[Any, Any]) -> None:
        advice, view = value
        self.sig_answered.emit(token, advice, view)

    def _on_failed(self, token: Any, exc: BaseException) -> None:
        if isinstance(exc, AdviceRejected):
            self.sig_rejected.emit(token, str(exc))
            return
        log.error("the advisor failed", exc_info=exc)
        self.sig_failed.emit(token, f"the advisor failed ({type(exc).__name__}: {exc}); see the log file")

    def stop_count(self) -> None:
        """Kill the model count in progress (the user's Stop); its advice answers "stopped". GUI thread."""
        if self.counter is not None:
            self.counter.stop()

    def shutdown(self, timeout_s: float = 2.0) -> bool:
        """Kill a model's count in progress, then join the call."""
        if self.counter is not None:
            self.counter.cancel()
        return self.calls.shutdown(timeout_s)
