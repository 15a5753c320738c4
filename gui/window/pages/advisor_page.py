"""The Advisor page: which hardware to use for a measured run, under the user's constraints. GUI thread.

Pick the run just finished on Live or a completed run from History (or name a model not
trained here: it is counted in a separate process and projected onto the GPUs, as
``horsepower advise --model`` does), fill in the job and its limits, press Advise:
``AdvisorLink`` runs the engine's advisor off the GUI thread (the same calls as ``horsepower
advise``) and the answer fills the ``AdvicePanel``. A bad field (or a
bad ``hardware.json``) is one line under the form and nothing is computed. The last answer
per run is kept (``advice_for``) so the stakeholder report the window saves can carry it;
Save HTML writes the advisor's one-page report (``profiler.reports.advisor_html``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from gui.runs.advisor_link import AdviseFn, AdvisorLink, published_models
from gui.widgets.advisor_form import CURRENT, AdvisorForm
from gui.widgets.history_view import short_name, when
from gui.window.pages.page import Page
from profiler import units

if TYPE_CHECKING:
    from gui.widgets.advice_panel import AdvicePanel
    from profiler.history import HistoryStore

log = logging.getLogger(__name__)

RUN_LIST_LIMIT = 100
WORKING = "Working out the advice… (the first one replays the model's step, up to a few seconds)"
COUNTING = ("Counting the model in a separate process… (seconds; a large hf: model stepped on the CPU takes "
            "tens of seconds)")
NO_RUN_YET = ("No measured run yet: name a model to advise on without training it (GPU rows), or run one on "
              "the Live tab to project this machine's measurement too.")
FILL_IN = "Fill in the job (every field is optional) and press Advise."
NAME_A_MODEL = "Name the model first (gpt, cnn-L, hf:bert-base-uncased, path/to/model.py:build)."


def run_words(name: str, device: str, samples_per_s: float | None, created_at: float | None) -> str:
    """``mlp-S bs32 fp32 · cpu · 12,345 samples/s · 11:26:33``: a run in the picker."""
    parts = [name, device, f"{units.count(samples_per_s)} samples/s" if samples_per_s else ""]
    if created_at:
        parts.append(when(created_at))
    return " · ".join(p for p in parts if p)


class AdvisorPage(Page):
    """The advisor's form over its answer."""

    def __init__(self, advise_fn: AdviseFn | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Advisor", "Which hardware should you use? A measured run (or a model counted, not "
                         "trained) projected onto the catalogue's CPUs, GPUs and accelerators, with honest "
                         "bands: figures not marked measured are projected, not measured.", parent)
        self.store: HistoryStore | None = None
        self.current: dict[str, Any] | None = None
        self.advice: dict[str, Any] = {}  # run id -> the last Advice for it (for the report)
        self.answered = None  # the AdviceView shown
        self.link = AdvisorLink(advise_fn, self)
        self._token = 0
        self._closed = False
        self.dark = False  # the theme a panel made later must start in
        self.html_button = self.add_action("Save HTML", None, "Save this advice as a one-page HTML report")
        self.html_button.setEnabled(False)
        self.form = AdvisorForm()
        self.form.published_source = published_models
        self.message = QLabel("", objectName="errorLabel", wordWrap=True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        self.hint = QLabel(FILL_IN, objectName="mutedLabel", wordWrap=True)
        self.panel: AdvicePanel | None = None
        self._body = QWidget()
        self._column = QVBoxLayout(self._body)
        self._column.setContentsMargins(0, 4, 8, 0)
        self._column.setSpacing(8)
        self._column.addWidget(self.form)
        self._column.addWidget(self.message)
        self._column.addWidget(self.hint)
        self._column.addStretch(1)
        scroll = QScrollArea(objectName="advisorScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._body)
        self.set_content(scroll)
        self.form.sig_advise_requested.connect(self.advise)
        self.form.sig_stop_requested.connect(self.link.stop_count)
        queued = Qt.ConnectionType.QueuedConnection  # the link's signals are already on the GUI thread
        self.link.sig_answered.connect(self._on_answered, queued)
        self.link.sig_rejected.connect(lambda token, line: self._on_refused(token, line), queued)
        self.link.sig_failed.connect(lambda token, line: self._on_refused(token, line), queued)
        self.refresh_runs()

    # ---- runs ------------------------------------------------------------------------
    def set_store(self, store: HistoryStore) -> None:
        self.store = store
        self.refresh_runs()

    def set_current(self, result: Mapping[str, Any]) -> None:
        """The run just finished on Live (a result dict); offered first. Failed runs are not."""
        if result.get("status") == "completed" and result.get("samples_per_s"):
            self.current = dict(result)
            self.refresh_runs()

    def refresh_runs(self) -> None:
        """Refill the run picker: the current run, then History's completed runs, newest first."""
        stored: list[tuple[str, str]] = []
        if self.store is not None:
            try:
                summaries = self.store.list_runs(status="completed", limit=RUN_LIST_LIMIT)
            except Exception:  # a damaged store must not take the tab down
                log.exception("history runs could not be listed for the advisor")
                summaries = []
            stored = [(s.run_id, run_words(short_name(s), s.device, s.samples_per_s, s.created_at))
                      for s in summaries]
        current = None
        if self.current is not None:
            c = self.current
            current = (str(c.get("run_id")), run_words(str(c.get("name") or c.get("run_id")), str(c.get("device")),
                                                       c.get("samples_per_s"), c.get("started_at")))
        self.form.set_runs(current, stored)
        self.show_content()
        if self.hint.text() in (FILL_IN, NO_RUN_YET):
            self.hint.setText(NO_RUN_YET if current is None and not stored else FILL_IN)

    # ---- advising --------------------------------------------------------------------
    def advise(self) -> bool:
        """Ask the engine for advice on the chosen run; False when there is none to ask about."""
        chosen = self.form.chosen()
        values = self.form.values()
        if chosen is None and not values["model"]:
            self._show_message(NAME_A_MODEL)
            return False
        kind, run_id = chosen or ("", "")
        self._token += 1
        run = self.current if kind == CURRENT and self.current is not None else None
        self.form.set_busy(True, counting=chosen is None)
        self.message.hide()
        self.hint.setText(COUNTING if chosen is None else WORKING)
        self.hint.show()
        self.link.ask(self._token, values, run=run, run_id=run_id, store=self.store)
        return True

    def _done(self, token: int) -> bool:
        if self._closed or token != self._token:
            return False
        self.form.set_busy(False)
        return True

    def _on_answered(self, token: int, advice: Any, view: Any) -> None:
        if not self._done(token):
            return
        self.advice[view.run_id] = advice
        self.answered = view
        self.hint.hide()
        self.message.hide()
        panel = self._panel()
        panel.show_advice(view)
        panel.show()
        self.html_button.setEnabled(True)

    def _on_refused(self, token: int, line: str) -> None:
        """Bad input (or the advisor failed): one line, and no stale answer under it."""
        if not self._done(token):
            return
        self._show_message(line)

    def _show_message(self, line: str) -> None:
        self.message.setText(f"Cannot advise: {line}")
        self.message.show()
        self.hint.hide()
        self.answered = None
        self.html_button.setEnabled(False)
        if self.panel is not None:
            self.panel.hide()

    def _panel(self) -> AdvicePanel:
        if self.panel is None:
            from gui.widgets.advice_panel import AdvicePanel

            self.panel = AdvicePanel()
            self.panel.set_dark(self.dark)  # made on the first answer, maybe long after the theme was set
            self._column.insertWidget(self._column.count() - 1, self.panel, 1)
        return self.panel

    def advice_for(self, run_ids: list[str]) -> list[Any]:
        """The last advice for each of ``run_ids`` that has one (for the stakeholder report)."""
        return [self.advice[r] for r in run_ids if r in self.advice]

    def shown_advice(self) -> Any:
        """The ``Advice`` on screen (None when the tab shows none)."""
        return self.advice.get(self.answered.run_id) if self.answered is not None else None

    # ---- settings and shutdown ---------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        return self.form.settings()

    def apply_settings(self, values: Mapping[str, Any]) -> None:
        self.form.apply_settings(values)

    def set_dark(self, dark: bool) -> None:
        self.dark = dark
        if self.panel is not None:
            self.panel.set_dark(dark)

    def shutdown(self, timeout_s: float) -> bool:
        self._closed = True
        return self.link.shutdown(timeout_s)
