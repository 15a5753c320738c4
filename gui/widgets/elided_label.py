"""A one-line label that asks for its whole text's width but shrinks to a stub, eliding the
end ("…"), so a long message never makes the window wider than the screen; a text with a short
form ("MFU OF HARDWARE PEAK" -> "MFU OF PEAK") shows that form before it elides. GUI thread."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

MIN_WIDTH_PX = 80  # the narrowest it shrinks to (stylesheet padding included)


class ElidedLabel(QLabel):
    """``text()`` is the whole text; the label shows it when it fits, else its form in
    ``shorts`` (whole text -> short form) when that fits, else as much of it as fits."""

    def __init__(self, text: str = "", parent: QWidget | None = None, objectName: str = "",
                 shorts: Mapping[str, str] | None = None) -> None:
        super().__init__(parent)
        if objectName:
            self.setObjectName(objectName)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self._shorts = dict(shorts or {})
        self._full = ""
        self._full_hint = QSize(0, 0)
        self.setText(text)

    def text(self) -> str:  # type: ignore[override]
        return self._full

    def setText(self, text: str) -> None:  # type: ignore[override]
        self._full = text
        super().setText(text)
        self._measure()

    def _measure(self) -> None:
        """The whole text's size hint in the present font and style (stylesheet padding and
        margins included), then the text shown at the present width."""
        shown = super().text()
        if shown != self._full:
            super().setText(self._full)
        self._full_hint = super().sizeHint()
        self.updateGeometry()
        self._elide()

    def changeEvent(self, event: QEvent) -> None:
        """A new font or style (an application style sheet polishing the label after it was
        made, a theme switch) changes every width: measure again, or a letter gets clipped."""
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange) and hasattr(self, "_full_hint"):
            self._measure()  # (not while the label is still being made)

    def sizeHint(self) -> QSize:
        return QSize(self._full_hint)

    def minimumSizeHint(self) -> QSize:
        return QSize(min(MIN_WIDTH_PX, self._full_hint.width()), self._full_hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def shown_text(self) -> str:
        """What the label shows at its present width."""
        return super().text()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        padding = max(0, self._full_hint.width() - metrics.horizontalAdvance(self._full))
        room = max(0, self.width() - padding)
        short = self._shorts.get(self._full, "")
        if metrics.horizontalAdvance(self._full) > room and short and metrics.horizontalAdvance(short) <= room:
            shown = short
        else:
            shown = metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, room)
            # Qt's elision ignores the stylesheet's letter-spacing by a pixel or so: cut until it fits
            cut = room
            while shown and metrics.horizontalAdvance(shown) > room and cut > 0:
                cut -= 1
                shown = metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, cut)
        if super().text() != shown:
            super().setText(shown)
