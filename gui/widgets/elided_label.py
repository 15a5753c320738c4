"""A one-line label that asks for its whole text's width but shrinks to a stub, eliding the
end ("…"), so a long message never makes the window wider than the screen. GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

MIN_WIDTH_PX = 80  # the narrowest it shrinks to (stylesheet padding included)


class ElidedLabel(QLabel):
    """``text()`` is the whole text; the label shows as much of it as fits."""

    def __init__(self, text: str = "", parent: QWidget | None = None, objectName: str = "") -> None:
        super().__init__(parent)
        if objectName:
            self.setObjectName(objectName)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self._full = ""
        self._full_hint = QSize(0, 0)
        self.setText(text)

    def text(self) -> str:  # type: ignore[override]
        return self._full

    def setText(self, text: str) -> None:  # type: ignore[override]
        self._full = text
        super().setText(text)
        self._full_hint = super().sizeHint()  # stylesheet padding and margins included
        self.updateGeometry()
        self._elide()

    def sizeHint(self) -> QSize:
        return QSize(self._full_hint)

    def minimumSizeHint(self) -> QSize:
        return QSize(min(MIN_WIDTH_PX, self._full_hint.width()), self._full_hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        padding = max(0, self._full_hint.width() - metrics.horizontalAdvance(self._full))
        shown = metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, max(0, self.width() - padding))
        if super().text() != shown:
            super().setText(shown)
