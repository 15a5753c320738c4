"""The title strip of presentation mode: what is shown, the headline result, how to leave.

The headline sentence is the engine's (``profiler.analysis.headline``); this widget only
shows it. It keeps the last result between loops: a new round replaces it only when the
new round has a result of its own. GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

EXIT_HINT = "Esc leaves presentation"


class PresentationHeader(QWidget):
    """Title and subtitle on the left, the exit hint on the right, the headline below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="presentationHeader")
        self.title = QLabel("Horsepower", self, objectName="presentationTitle")
        self.subtitle = QLabel("", self, objectName="presentationSubtitle")
        self.hint = QLabel(EXIT_HINT, self, objectName="presentationHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.headline = QLabel("Measuring the first round…", self, objectName="presentationHeadline",
                               wordWrap=True)
        self.basis = QLabel("", self, objectName="presentationBasis", wordWrap=True)
        top = QHBoxLayout()
        words = QVBoxLayout()
        words.setSpacing(0)
        words.addWidget(self.title)
        words.addWidget(self.subtitle)
        top.addLayout(words, 1)
        top.addWidget(self.hint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 12, 18, 6)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.headline)
        layout.addWidget(self.basis)
        self.hide()

    def set_title(self, title: str, subtitle: str = "") -> None:
        self.title.setText(title)
        self.subtitle.setText(subtitle)
        self.subtitle.setVisible(bool(subtitle))

    def set_headline(self, sentence: str | None, basis: str = "") -> None:
        """Show ``sentence``; None keeps the last headline (a round with no result yet)."""
        if sentence is None:
            return
        self.headline.setText(sentence)
        self.basis.setText(basis)
        self.basis.setVisible(bool(basis))
