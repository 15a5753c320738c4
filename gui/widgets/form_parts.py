"""Small layout helpers the analysis widgets share: table heights, form widths, section labels."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QTableView


def fit_table_height(table: QTableView, max_rows: int = 8) -> None:
    """Make ``table`` as tall as its rows (at most ``max_rows``), so charts get the rest."""
    rows = min(max(table.model().rowCount(), 1), max_rows)
    row_h = table.verticalHeader().defaultSectionSize()
    header_h = table.horizontalHeader().sizeHint().height()
    table.setFixedHeight(header_h + rows * row_h + 2 * table.frameWidth() + 4)


def narrow_fields(form: QFormLayout, max_width: int = 360) -> None:
    """Keep a form's fields at a readable width instead of the page's full width."""
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
    for row in range(form.rowCount()):
        item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widget.setMinimumWidth(max_width)


def section_label(text: str) -> QLabel:
    return QLabel(text, objectName="sectionLabel")
