"""The page frame every workspace tab uses: a header, an empty state, a lazily built body. GUI thread.

A ``Page`` shows an ``EmptyState`` (what to do to fill it) until its content exists and has
something to show; the content widget is built on first use so that opening the window
never waits for the history store or the analysis modules.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)


class EmptyState(QWidget):
    """A centred title, an explanation and an optional action button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="emptyState")
        self.title = QLabel("", self, objectName="emptyTitle", alignment=Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel("", self, objectName="emptyText", wordWrap=True,
                           alignment=Qt.AlignmentFlag.AlignCenter)
        self.text.setFixedWidth(520)  # a wrapped label needs a width to size its height
        self.button = QPushButton("", self, objectName="emptyAction")
        self.button.hide()
        self._action: Callable[[], object] | None = None
        self.button.clicked.connect(self._on_button_clicked)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(self.title)
        layout.addWidget(self.text, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(10)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)

    def set_state(self, title: str, text: str, action: str = "",
                  on_action: Callable[[], object] | None = None) -> None:
        self.title.setText(title)
        self.text.setText(text)
        self.text.setFixedHeight(max(self.text.heightForWidth(self.text.width()), 0))
        self._action = on_action
        self.button.setText(action)
        self.button.setVisible(bool(action and on_action))

    def _on_button_clicked(self) -> None:
        if self._action is not None:
            self._action()


class Page(QWidget):
    """Header (title, subtitle, actions on the right) over an empty state or the content."""

    def __init__(self, title: str, subtitle: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="workspacePage")
        self.title = QLabel(title, objectName="pageTitle")
        self.subtitle = QLabel(subtitle, objectName="pageSubtitle", wordWrap=True)
        self.action_row = QHBoxLayout()
        self.action_row.setSpacing(6)
        head = QHBoxLayout()
        words = QVBoxLayout()
        words.setSpacing(2)
        words.addWidget(self.title)
        words.addWidget(self.subtitle)
        head.addLayout(words, 1)
        head.addLayout(self.action_row)
        self.empty = EmptyState()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.content: QWidget | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(head)
        layout.addWidget(self.stack, 1)

    def add_action(self, text: str, slot: Callable[[], object] | None = None,
                   tip: str = "") -> QPushButton:
        """A button at the header's right; ``slot`` may be connected later by the owner."""
        button = QPushButton(text, objectName="pageAction")
        button.setToolTip(tip)
        if slot is not None:
            button.clicked.connect(slot)
        self.action_row.addWidget(button)
        return button

    def set_content(self, widget: QWidget) -> None:
        self.content = widget
        self.stack.addWidget(widget)

    def show_empty(self, title: str, text: str, action: str = "",
                   on_action: Callable[[], object] | None = None) -> None:
        self.empty.set_state(title, text, action, on_action)
        self.stack.setCurrentWidget(self.empty)

    def show_content(self) -> None:
        if self.content is not None:
            self.stack.setCurrentWidget(self.content)

    @property
    def showing_empty(self) -> bool:
        return self.stack.currentWidget() is self.empty
