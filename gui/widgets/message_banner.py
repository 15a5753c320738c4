"""An in-window banner for failed runs and warnings: what happened and what to try.

A message may carry ``details`` (a traceback from the user's own model code, or a worker's
crash stack): a "Details…" button then opens them in a message box's detailed text.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

ADVICE = {
    "oom": "Lower the batch size or pick a smaller size preset, then Start again.",
    "failed": "Try a smaller size or fp32, or run `horsepower run --device DEVICE --workload "
    "WORKLOAD` in a terminal to see the full error; details are in the log file.",
}


class MessageBanner(QFrame):
    """Hidden until ``show_message``; the user dismisses it with ×."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="banner")
        self.text = QLabel("", self, objectName="bannerText", wordWrap=True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = ""
        self.details_button = QPushButton("Details…", self, objectName="bannerDetails")
        self.details_button.setToolTip("The full traceback or crash stack")
        self.details_button.hide()
        self.details_button.clicked.connect(self.show_details)
        self.action_button = QPushButton("", self)
        self.action_button.setObjectName("bannerAction")
        self.action_button.hide()
        self.action_button.clicked.connect(self._on_action_clicked)
        self._action: Callable[[], object] | None = None
        close = QPushButton("×", self, objectName="bannerClose", flat=True)
        close.setToolTip("Dismiss")
        close.setFixedWidth(28)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.action_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.kind = ""
        self.title = ""
        self.page = ""  # the page the message concerns ("" before any)
        self._current_page = ""
        self._dismissed = True
        close.clicked.connect(self.dismiss)
        self.hide()

    def set_page(self, page: str) -> None:
        """The window shows ``page`` now: the banner shows only on the page it was raised on
        (and stays dismissed once closed)."""
        self._current_page = page
        self.setVisible(not self._dismissed and (not self.page or self.page == page))

    def dismiss(self) -> None:
        """Hide the message for good (× or a new start); a later message shows again."""
        self._dismissed = True
        self.hide()

    def show_message(self, kind: str, title: str, detail: str = "", advice: str = "",
                     footer: str = "", details: str = "",
                     action: tuple[str, Callable[[], object]] | None = None) -> None:
        """``kind`` is error | warning | info; it picks the colour through the stylesheet.
        ``details`` (a traceback) goes behind the "Details…" button; ``action`` (label, callback)
        is a button that acts on the message (it hides the banner)."""
        self.page, self._dismissed = self._current_page, False
        self._action = action[1] if action else None
        self.action_button.setText(action[0] if action else "")
        self.action_button.setVisible(action is not None)
        self.kind = kind
        self.title = title
        self.details = details
        self.details_button.setVisible(bool(details))
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        html = f"<b>{_esc(title)}</b>"
        if detail:
            html += f"<br>{_esc(detail)}"
        if advice:
            html += f"<br><i>What to try:</i> {_esc(advice)}"
        if footer:
            html += f"<br><small>{_esc(footer)}</small>"
        self.text.setText(html)
        self.show()

    def plain_text(self) -> str:
        return self.text.text()

    def details_box(self) -> QMessageBox:
        """The message with ``details`` as the box's detailed text (shown by "Details…")."""
        box = QMessageBox(QMessageBox.Icon.Warning if self.kind != "info" else QMessageBox.Icon.Information,
                          self.title or "Details", self.title, parent=self)
        box.setInformativeText("The full text is below; copy it into a bug report or fix your model with it.")
        box.setDetailedText(self.details)
        return box

    def _on_action_clicked(self) -> None:
        act, self._action = self._action, None
        self.hide()
        if act is not None:
            act()

    def show_details(self) -> None:
        if self.details:
            self.details_box().open()


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
