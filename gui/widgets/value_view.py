"""Prices per device and what a training job would cost on each run's device. GUI thread."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.form_parts import fit_table_height, narrow_fields, section_label
from profiler import units
from profiler.analysis.prices import PricesError, load_prices, save_prices
from profiler.analysis.value import DevicePrice, Job, PriceBook, value_table
from profiler.history import HistoryStore

PRICE_COLUMNS = ("device", "purchase", "years", "hours/day", "cloud per h")
PROJECTION_COLUMNS = ("run", "device", "samples/s", "samples/J", "samples per unit",
                      "job time", "job energy (Wh)", "job cost", "notes")


class ValueView(QWidget):
    """Edit prices (saved to ``prices_file``, default the user config dir) and project a job."""

    sig_prices_changed = Signal(object)
    """Prices were edited and saved (a ``PriceBook``). GUI thread."""

    def __init__(self, store: HistoryStore, prices_file: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.prices_file = prices_file
        self.runs: list[dict[str, Any]] = []
        try:
            self.book = load_prices(prices_file)
        except PricesError:
            self.book = PriceBook()
        self.electricity = QDoubleSpinBox(decimals=3, maximum=100.0, singleStep=0.01)
        self.electricity.setValue(self.book.electricity_per_kwh or 0.0)
        self.samples = QSpinBox(maximum=2_000_000_000, singleStep=10_000)
        self.samples.setValue(1_000_000)
        self.epochs = QSpinBox(minimum=1, maximum=100_000)
        self.epochs.setValue(10)
        self.prices_table = QTableWidget(0, len(PRICE_COLUMNS))
        self.prices_table.setHorizontalHeaderLabels(list(PRICE_COLUMNS))
        self.projection = QTableWidget(0, len(PROJECTION_COLUMNS))
        self.projection.setHorizontalHeaderLabels(list(PROJECTION_COLUMNS))
        for table in (self.prices_table, self.projection):
            table.verticalHeader().hide()
            table.horizontalHeader().setStretchLastSection(True)
        self.error_label = QLabel()
        save = QPushButton("Save prices")
        form = QFormLayout()
        form.addRow(f"Electricity per kWh ({self.book.currency})", self.electricity)
        form.addRow("Dataset samples", self.samples)
        form.addRow("Epochs", self.epochs)
        narrow_fields(form, 200)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(section_label("Prices per device (blank: not set)"))
        layout.addWidget(self.prices_table)
        layout.addWidget(save, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.error_label)
        layout.addWidget(section_label("The job on each run's device"))
        layout.addWidget(self.projection, 1)
        save.clicked.connect(self._on_save_clicked)
        self.samples.valueChanged.connect(self._on_job_changed)
        self.epochs.valueChanged.connect(self._on_job_changed)

    def set_runs(self, run_ids: list[str]) -> None:
        """Show prices and projections for these stored runs' devices."""
        self.runs = [r for r in (self.store.get(i) for i in run_ids) if r is not None]
        devices = list(dict.fromkeys(str(r["device"]) for r in self.runs))
        self.prices_table.setRowCount(len(devices))
        for row, device in enumerate(devices):
            price = self.book.price_for(device) or DevicePrice(device)
            cells = (device, price.purchase_price, price.amortise_years, price.hours_per_day,
                     price.cloud_per_h)
            for col, value in enumerate(cells):
                self.prices_table.setItem(row, col, QTableWidgetItem("" if value is None else
                                                                     str(value)))
        self.render_projection()

    def read_prices(self) -> PriceBook:
        """The price book as edited in the table (blank cells: not set)."""
        def cell(row: int, col: int) -> float | None:
            item = self.prices_table.item(row, col)
            text = item.text().strip() if item else ""
            return float(text) if text else None

        book = PriceBook(self.electricity.value(), self.book.currency, self.book.devices)
        for row in range(self.prices_table.rowCount()):
            book = book.with_device(DevicePrice(
                self.prices_table.item(row, 0).text(), purchase_price=cell(row, 1),
                amortise_years=cell(row, 2) or 3.0, hours_per_day=cell(row, 3) or 8.0,
                cloud_per_h=cell(row, 4)))
        return book

    def render_projection(self) -> None:
        job = Job(self.samples.value(), self.epochs.value())
        rows = value_table(self.runs, self.book, job)
        cur = self.book.currency
        self.projection.setRowCount(len(rows))
        for r, (run, (value, proj)) in enumerate(zip(self.runs, rows, strict=True)):
            assert proj is not None
            cells = (str(run.get("name") or run["run_id"]), value.device,
                     units.num(value.samples_per_s), units.num(value.samples_per_j),
                     units.num(value.samples_per_dollar), units.duration(proj.time_s),
                     units.num(proj.energy_wh), units.money(proj.cost, cur), "; ".join(value.notes))
            for c, text in enumerate(cells):
                self.projection.setItem(r, c, QTableWidgetItem(text))

    def _on_save_clicked(self) -> None:
        try:
            from profiler.analysis.prices import book_from_dict, book_to_dict

            book = book_from_dict(book_to_dict(self.read_prices()))  # validates every figure
        except (ValueError, PricesError) as exc:
            self.error_label.setText(f"Not saved: {exc}")
            return
        self.error_label.setText("")
        self.book = book
        save_prices(book, self.prices_file)
        self.render_projection()
        self.sig_prices_changed.emit(book)

    def _on_job_changed(self, _value: int) -> None:
        self.render_projection()

    def fit_tables(self) -> None:
        """The prices table as tall as its rows; projection columns to their contents."""
        fit_table_height(self.prices_table)
        self.projection.resizeColumnsToContents()
