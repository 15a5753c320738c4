"""Big-number cards: samples/s, TFLOP/s, MFU and speedup vs CPU of the run in focus."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gui.metrics_help import na_tip, tip
from gui.theme import device_colour, fmt_count


@dataclass(frozen=True)
class CardValues:
    """What the cards show; None means n/a. ``device`` picks the accent colour."""

    device: str
    caption: str
    samples_per_s: float | None = None
    tflops: float | None = None
    mfu: float | None = None
    speedup: float | None = None
    live: bool = False


class Card(QFrame):
    """Title, one big number, and a caption."""

    def __init__(self, title: str, metric: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="card")
        self.metric_name = metric
        self.title = QLabel(title.upper(), self, objectName="cardTitle")
        self.value = QLabel("n/a", self, objectName="cardValue")
        self.caption = QLabel("", self, objectName="cardCaption")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(2)
        for w in (self.title, self.value, self.caption):
            layout.addWidget(w)
        self.setToolTip(tip(metric))
        self._accent = ""

    def show_value(self, text: str | None, caption: str, accent: str) -> None:
        self.value.setText(text if text is not None else "n/a")
        self.caption.setText(caption)
        self.value.setToolTip(tip(self.metric_name) if text is not None else na_tip(self.metric_name))
        if accent != self._accent:  # restyling is costly: only when the device changes
            self._accent = accent
            self.setStyleSheet(f"#card {{ border-left: 4px solid {accent}; }}")


class SummaryCards(QWidget):
    """The row of four cards."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.samples = Card("Samples / s", "samples_per_s", self)
        self.tflops = Card("TFLOP / s", "tflops", self)
        self.mfu = Card("MFU", "mfu", self)
        self.speedup = Card("Speedup vs CPU", "speedup", self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for card in self.cards():
            layout.addWidget(card)

    def cards(self) -> tuple[Card, ...]:
        return (self.samples, self.tflops, self.mfu, self.speedup)

    def display(self, values: CardValues | None) -> None:
        if values is None:
            for card in self.cards():
                card.show_value(None, "press Start", "#9CA3AF")
            return
        accent = device_colour(values.device)
        caption = values.caption + (" · live" if values.live else "")
        self.samples.show_value(
            fmt_count(values.samples_per_s) if values.samples_per_s else None, caption, accent
        )
        self.tflops.show_value(
            f"{values.tflops:.3g}" if values.tflops is not None else None, caption, accent
        )
        self.mfu.show_value(f"{values.mfu:.0%}" if values.mfu is not None else None, caption, accent)
        self.speedup.show_value(
            f"{values.speedup:.3g}×" if values.speedup is not None else None, caption, accent
        )
