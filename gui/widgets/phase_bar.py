"""A slim stacked bar of where a training step's time goes, with the verdict beside it. GUI thread.

Under the cards: "STEP PHASES", the bar (data wait, host-to-device copy, forward, backward,
optimizer, device wait, each its share of the sampled step), then the verdict in words
("compute-bound: ..."); below them, in small type, how the steps are sampled and what that
costs. Before any sample it shows n/a and why. ``display`` runs on the
window's refresh timer and repaints only when the values changed, so watching costs nothing
between ticks (never a repaint per phase sample).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from gui.widgets.theme import WARNING_COLOUR
from profiler import units

if TYPE_CHECKING:
    from gui.viewmodel.phase_split import PhaseBarValues

BAR_HEIGHT_PX = 18
ROW_HEIGHT_PX = 24
NOTE_HEIGHT_PX = 16
#: one colour per phase; white text on each. Input (amber) is the one to watch.
PHASE_COLOURS = {
    "data_wait": "#D97706", "h2d_copy": "#B45309", "forward": "#2563EB", "backward": "#7C3AED",
    "optimizer": "#0D9488", "device_wait": "#6B7280",
}
TRACK_COLOUR = QColor(156, 163, 175, 70)
FLAGGED = ("input-bound", "launch-bound")


def tooltip(values: PhaseBarValues) -> str:
    """Every phase with its time and share, the verdict and how the split was sampled."""
    if not values.available:
        return values.na
    lines = [f"Where each step's time goes ({values.basis}; mean {units.seconds(values.step_s)} "
             "per sampled step):"]
    lines += [f"  {s.label}: {units.seconds(s.mean_s)} ({units.percent(s.fraction, 0)})" for s in values.segments]
    if values.verdict:
        lines.append(values.verdict)
    if values.sampling:
        lines.append(values.sampling)
    return "\n".join(lines)


class _Bar(QWidget):
    """The stacked bar itself, painted from ``segments`` (or an empty track for n/a)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: PhaseBarValues | None = None
        self.setMinimumWidth(160)
        self.setFixedHeight(BAR_HEIGHT_PX)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(360, BAR_HEIGHT_PX)

    def segment_rects(self) -> list[tuple[str, QRectF]]:
        """(phase, rectangle) of each drawn segment, left to right (tests read this)."""
        if self.values is None or not self.values.available:
            return []
        width, x, out = float(self.width()), 0.0, []
        for seg in self.values.segments:
            w = width * max(0.0, min(1.0, seg.fraction))
            out.append((seg.phase, QRectF(x, 0.0, w, float(self.height()))))
            x += w
        return out

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(TRACK_COLOUR)
            painter.drawRoundedRect(QRectF(self.rect()), 3, 3)
            metrics = painter.fontMetrics()
            rects = self.segment_rects()
            if not rects:
                painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
                painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignCenter), "n/a")
                return
            assert self.values is not None
            for seg, (_, rect) in zip(self.values.segments, rects, strict=True):
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(PHASE_COLOURS.get(seg.phase, "#6B7280")))
                painter.drawRect(rect)
                share = units.percent(seg.fraction, 0)
                for text in (f"{seg.short} {share}", share):
                    if metrics.horizontalAdvance(text) + 8 <= rect.width():
                        painter.setPen(QColor("#FFFFFF"))
                        painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), text)
                        break
        finally:
            painter.end()


class PhaseBar(QWidget):
    """"STEP PHASES", the stacked bar and the verdict in one row ``ROW_HEIGHT_PX`` high, and
    the sampling note under them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="phaseBar")
        self.title = QLabel("STEP PHASES", self, objectName="phaseTitle")
        self.bar = _Bar(self)
        self.verdict = QLabel("", self, objectName="phaseVerdict")
        self.verdict.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.verdict.setMinimumWidth(0)
        self.note = QLabel("", self, objectName="phaseNote")
        self.note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.note.setFixedHeight(NOTE_HEIGHT_PX)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        row.addWidget(self.title)
        row.addWidget(self.bar, 4)
        row.addWidget(self.verdict, 5)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(0)
        layout.addLayout(row)
        layout.addWidget(self.note)
        self.setFixedHeight(ROW_HEIGHT_PX + NOTE_HEIGHT_PX)
        self.values: PhaseBarValues | None = None
        self._verdict_text = ""
        self._note_text = ""

    def display(self, values: PhaseBarValues) -> None:
        """Show ``values``; nothing is repainted when they did not change."""
        if values == self.values:
            return
        self.values = values
        self.bar.values = values
        self.bar.update()
        self._verdict_text = (f"{values.verdict}  ·  {values.basis}" if values.verdict else values.basis) \
            if values.available else values.na
        flagged = values.verdict_kind in FLAGGED
        self.verdict.setStyleSheet(f"color: {WARNING_COLOUR};" if flagged else "")
        self.verdict.setProperty("na", not values.available)
        self.verdict.style().unpolish(self.verdict)
        self.verdict.style().polish(self.verdict)
        self._note_text = values.sampling if values.available else ""
        text = tooltip(values)
        for widget in (self, self.bar, self.verdict, self.note):
            widget.setToolTip(text)
        self._elide()

    def verdict_text(self) -> str:
        """The verdict line in full (the label may show it elided)."""
        return self._verdict_text

    def note_text(self) -> str:
        """The sampling note in full (how often steps are split and what it costs)."""
        return self._note_text

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        for label, full in ((self.verdict, self._verdict_text), (self.note, self._note_text)):
            shown = label.fontMetrics().elidedText(full, Qt.TextElideMode.ElideRight, max(0, label.width()))
            if label.text() != shown:
                label.setText(shown)
