"""The start of a run made visible: which preparing step it is on and how far the start has got
(building, counting FLOPs, finding the peak, warm-up), from ``profiler.metrics.start_progress``.
Hidden once the run measures. GUI thread.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from profiler.metrics.start_progress import StartProgress


class StartProgressBar(QWidget):
    """A label and a bar; ``display(None)`` hides them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("startProgress")
        self.label = QLabel("")
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(10)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 1)
        self.progress: StartProgress | None = None
        self.hide()

    def display(self, progress: StartProgress | None) -> None:
        self.progress = progress
        if progress is None:
            self.hide()
            return
        self.label.setText(progress.text)
        self.bar.setValue(round(progress.fraction * 100))
        self.show()
