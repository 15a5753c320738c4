"""An in-window banner for failed runs and warnings: what happened and what to try."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

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
        close = QPushButton("×", self, objectName="bannerClose", flat=True)
        close.setToolTip("Dismiss")
        close.setFixedWidth(28)
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.addWidget(self.text, 1)
        layout.addWidget(close)
        self.kind = ""
        self.hide()

    def show_message(self, kind: str, title: str, detail: str = "", advice: str = "",
                     footer: str = "") -> None:
        """``kind`` is error | warning | info; it picks the colour through the stylesheet."""
        self.kind = kind
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


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
