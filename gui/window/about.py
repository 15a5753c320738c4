"""Help > About: the version, what the window stands on, the data credits and the licence. GUI thread.

The advisor's catalogue ships figures from Epoch AI's "Data on Machine Learning Hardware"
(CC BY 4.0), which must be credited wherever they appear: here and in the Advisor tab's
footer, from the engine's one list of credit lines (``profiler.analysis.advisor.credits``).
"""

from __future__ import annotations

import logging
import platform
from html import escape

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from gui.widgets.theme import app_icon
from profiler import __version__

log = logging.getLogger(__name__)

LICENCE = "MIT licence (see pyproject.toml)"
HOME = "docs/ARCHITECTURE.md, docs/METRICS.md, docs/YOUR_MODEL.md, docs/SCALING.md, docs/advisor.md"


def credit_lines() -> list[str]:
    """The engine's credit lines for the data it ships (Epoch AI first)."""
    try:
        from profiler.analysis.advisor import credits
    except ImportError as exc:  # the window still says what it is
        log.warning("advisor credits unavailable: %s", exc)
        return []
    return list(credits())


def about_html(torch_version: str = "") -> str:
    """The About box's text: version, stack, credits, licence, where the docs are."""
    stack = f"Python {platform.python_version()} · PySide6 {pyside_version}" + (
        f" · torch {torch_version}" if torch_version else "")
    credits = "".join(f"<li>{escape(line)}</li>" for line in credit_lines())
    return (f"<h3>Horsepower {escape(__version__)}</h3>"
            "<p>What is this machine's hardware really worth to PyTorch? Measured training on the "
            "devices here, and projections (labelled) onto hardware you do not own.</p>"
            f"<p>{escape(stack)}</p>"
            f"<p><b>Data credits</b></p><ul>{credits}</ul>"
            f"<p><b>Licence</b>: {escape(LICENCE)}. Epoch AI's data is CC BY 4.0.</p>"
            f"<p>Documentation: {escape(HOME)}</p>")


def about_box(parent: QWidget, torch_version: str = "") -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.NoIcon, "About Horsepower", about_html(torch_version), parent=parent)
    box.setTextFormat(Qt.TextFormat.RichText)
    icon = app_icon()
    if not icon.isNull():
        box.setIconPixmap(icon.pixmap(64, 64))
    return box
