"""The bar shown while a run waits for a busy machine to quiet down: the engine's progress
line, "Run now" (measure anyway; the result is marked) and "Cancel" (nothing runs)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class QuietWaitBar(QFrame):
    """Hidden until ``show_text``; its buttons emit ``sig_run_now`` and ``sig_cancel``."""

    sig_run_now = Signal()
    sig_cancel = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")  # the banner's look, in its warning colour
        self.setProperty("kind", "warning")
        self.text = QLabel("", self)
        self.text.setObjectName("bannerText")
        self.text.setWordWrap(True)
        self.run_now = QPushButton("Run now", self)
        self.run_now.setToolTip("Measure now anyway: the result is marked as measured on a busy machine "
                                "if it stays busy")
        self.cancel = QPushButton("Cancel", self)
        self.cancel.setToolTip("Stop waiting; nothing is run")
        self.run_now.clicked.connect(self.sig_run_now)
        self.cancel.clicked.connect(self.sig_cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.run_now, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.cancel, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_text(self, title: str, line: str) -> None:
        """``title`` in bold, then the progress ``line`` (both from the engine)."""
        self.text.setText(f"<b>{_esc(title)}</b><br>{_esc(line)}")
        self.show()


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
