"""Prices per device and what a training job would cost on each run's device. GUI thread.

Every edit applies at once: the price book is read back from the form, checked by the
engine (``profiler.analysis.prices``), used for the projection and saved shortly after
(no Save button). An invalid figure is named under the table and nothing is applied until
it is fixed. Every money figure carries the currency; the last column says in words how
each device's cost per hour is worked out (``profiler.analysis.value.cost_model``).
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.form_parts import fit_table_height, narrow_fields, section_label
from profiler import units
from profiler.analysis.prices import PricesError, book_from_dict, book_to_dict, load_prices, save_prices
from profiler.analysis.value import DevicePrice, Job, PriceBook, cost_model, measured_from_result, value_table
from profiler.history import HistoryStore
from profiler.metrics.naming import distinct_labels

SAVE_DELAY_MS = 400
PRICE_TIPS = (
    "The device these prices are for.",
    "What the device cost to buy; spread over the years and hours per day of use.",
    "Years of useful life the purchase price is spread over.",
    "Hours a day the device is in use (at most 24).",
    "A cloud rate per hour; when set it is used instead of the purchase price, and is taken to "
    "include electricity.",
)
PROJECTION_TIPS = (
    "The stored run these figures come from.", "The device the run measured.",
    "Samples per second over the run's whole timed window.",
    "Samples per joule of device energy (n/a when the device has no energy counter).",
    "Samples per unit of money at the device's cost per hour.",
    "What an hour of the device costs: purchase spread over its use plus electricity, or the cloud rate.",
    "How long the job would take at the measured rate.",
    "Energy the job would use at the measured power.",
    "What the job would cost at the cost per hour.",
)


def price_headers(currency: str) -> tuple[str, ...]:
    return ("device", f"purchase ({currency})", "years", "hours/day", f"cloud ({currency}/h)")


def projection_headers(currency: str) -> tuple[str, ...]:
    return ("run", "device", "samples/s", "samples/J", f"samples per {currency}", "cost per hour",
            "job time", "job energy", "job cost")


def _headers(table: QTableWidget, names: tuple[str, ...], tips: tuple[str, ...]) -> None:
    table.setColumnCount(len(names))
    for col, (name, tip) in enumerate(zip(names, tips, strict=True)):
        item = QTableWidgetItem(name)
        item.setToolTip(tip)
        table.setHorizontalHeaderItem(col, item)


class ValueView(QWidget):
    """Edit prices (applied and saved as you type) and project a job onto each run's device."""

    sig_prices_changed = Signal(object)
    """The edited prices were applied (a ``PriceBook``). GUI thread."""

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
        self._filling = False
        self.currency = QLineEdit(self.book.currency, maxLength=8)
        self.currency.setToolTip("The currency of every price and money figure here (USD, EUR, ...).")
        self.electricity = QDoubleSpinBox(decimals=3, maximum=100.0, singleStep=0.01)
        self.electricity.setValue(self.book.electricity_per_kwh or 0.0)
        self.electricity.setSpecialValueText("not set")
        self.electricity.setToolTip("Price of a kWh: added to a purchased device's cost per hour from "
                                    "its measured power. 'not set' leaves electricity out.")
        self.samples = QSpinBox(maximum=2_000_000_000, singleStep=10_000)
        self.samples.setGroupSeparatorShown(True)
        self.samples.setValue(1_000_000)
        self.samples.setToolTip("Samples in the training set of the job to project.")
        self.epochs = QSpinBox(minimum=1, maximum=100_000)
        self.epochs.setValue(10)
        self.epochs.setToolTip("Passes over the training set.")
        self.prices_table = QTableWidget(0, 5)
        self.prices_table.horizontalHeader().setMinimumSectionSize(90)
        self.projection = QTableWidget(0, 9)
        self.cost_words = QLabel("", objectName="costWords", wordWrap=True)
        self.cost_words.setTextFormat(Qt.TextFormat.RichText)
        for table in (self.prices_table, self.projection):
            table.verticalHeader().hide()
            table.horizontalHeader().setStretchLastSection(True)
        self.projection.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.error_label = QLabel(objectName="errorLabel", wordWrap=True)
        self.saved_label = QLabel("", objectName="mutedLabel")
        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.save)
        self._layout()
        self._set_headers()
        self.prices_table.itemChanged.connect(lambda _item: self.apply())
        self.currency.editingFinished.connect(self.apply)
        self.electricity.valueChanged.connect(lambda _v: self.apply())
        self.samples.valueChanged.connect(lambda _v: self.render_projection())
        self.epochs.valueChanged.connect(lambda _v: self.render_projection())

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Currency", self.currency)
        form.addRow("Electricity per kWh", self.electricity)
        form.addRow("Job: dataset samples", self.samples)
        form.addRow("Job: epochs", self.epochs)
        narrow_fields(form, 200)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(section_label("Prices per device (blank: not set) · changes apply as you type"))
        layout.addWidget(self.prices_table)
        layout.addWidget(self.error_label)
        layout.addWidget(section_label("How each device's cost per hour is worked out"))
        layout.addWidget(self.cost_words)
        layout.addWidget(self.saved_label)
        layout.addWidget(section_label("The job on each run's device"))
        layout.addWidget(self.projection, 1)

    def _set_headers(self) -> None:
        cur = self.book.currency
        _headers(self.prices_table, price_headers(cur), PRICE_TIPS)
        _headers(self.projection, projection_headers(cur), PROJECTION_TIPS)
        self.electricity.setSuffix(f" {cur}/kWh")

    # ---- runs and prices -------------------------------------------------------------
    def set_runs(self, run_ids: list[str]) -> None:
        """Show prices and projections for these stored runs' devices."""
        self.runs = [r for r in (self.store.get(i) for i in run_ids) if r is not None]
        devices = list(dict.fromkeys(str(r["device"]) for r in self.runs))
        self._filling = True
        try:
            self.prices_table.setRowCount(len(devices))
            for row, device in enumerate(devices):
                price = self.book.price_for(device) or DevicePrice(device)
                cells = (device, price.purchase_price, price.amortise_years, price.hours_per_day,
                         price.cloud_per_h)
                for col, value in enumerate(cells):
                    item = QTableWidgetItem("" if value is None else f"{value:g}" if col else str(value))
                    item.setToolTip(PRICE_TIPS[col])
                    self.prices_table.setItem(row, col, item)
        finally:
            self._filling = False
        self.render_projection()

    def read_prices(self) -> PriceBook:
        """The price book as edited (blank cells: not set); ValueError names a bad cell."""
        def cell(row: int, col: int) -> float | None:
            item = self.prices_table.item(row, col)
            text = item.text().strip().replace(",", "") if item else ""
            if not text:
                return None
            try:
                return float(text)
            except ValueError:
                raise ValueError(f"{_text(self.prices_table.horizontalHeaderItem(col))} of "
                                 f"{_text(self.prices_table.item(row, 0))} is not a number: {text!r}") from None

        currency = self.currency.text().strip() or "USD"
        book = PriceBook(self.electricity.value() or None, currency, self.book.devices)
        for row in range(self.prices_table.rowCount()):
            book = book.with_device(DevicePrice(
                _text(self.prices_table.item(row, 0)), purchase_price=cell(row, 1),
                amortise_years=cell(row, 2) or 3.0, hours_per_day=cell(row, 3) or 8.0,
                cloud_per_h=cell(row, 4)))
        return book_from_dict(book_to_dict(book))  # the engine checks every figure

    def apply(self) -> bool:
        """Use the form's prices now (saved shortly after); False when a figure is invalid."""
        if self._filling:
            return False
        try:
            book = self.read_prices()
        except (ValueError, PricesError) as exc:
            self.error_label.setText(f"Not applied: {exc}")
            return False
        self.error_label.setText("")
        changed_currency = book.currency != self.book.currency
        self.book = book
        if changed_currency:
            self._set_headers()
        self.render_projection()
        self._save_timer.start()
        self.sig_prices_changed.emit(book)
        return True

    def save(self) -> None:
        try:
            path = save_prices(self.book, self.prices_file)
        except OSError as exc:
            self.error_label.setText(f"Prices apply but could not be saved: {exc}")
            return
        self.saved_label.setText(f"Saved to {path}")

    def render_projection(self) -> None:
        job = Job(self.samples.value(), self.epochs.value())
        rows = value_table(self.runs, self.book, job)
        cur = self.book.currency
        labels = distinct_labels(self.runs)
        self.projection.setRowCount(len(rows))
        words_by_device: dict[str, str] = {}
        for r, (run, label, (value, proj)) in enumerate(zip(self.runs, labels, rows, strict=True)):
            assert proj is not None
            words = cost_model(self.book.price_for(value.device), self.book.electricity_per_kwh,
                               measured_from_result(run).power_w, cur)
            words_by_device.setdefault(value.device, words)
            per_h = f"{units.money(value.cost_per_h, cur)}/h" if value.cost_per_h is not None else units.NA
            energy = units.si(proj.energy_wh, "Wh")
            cells = (label, value.device, units.rate(value.samples_per_s),
                     units.si(value.samples_per_j, "samples/J", spaced=True),
                     units.per_money(value.samples_per_dollar, "samples", cur), per_h,
                     units.duration(proj.time_s), energy, units.money(proj.cost, cur))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{text}\n{words}" if c in (0, 5) else PROJECTION_TIPS[c])
                if c >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.projection.setItem(r, c, item)
        self.cost_words.setText("<br>".join(f"<b>{escape(d)}</b>: {escape(w)}" for d, w in words_by_device.items()))
        for c in range(self.projection.columnCount()):  # a column that is n/a for every run says nothing
            empty = all((self.projection.item(r, c) or QTableWidgetItem()).text() == units.NA
                        for r in range(self.projection.rowCount()))
            self.projection.setColumnHidden(c, empty and self.projection.rowCount() > 0)
        self.projection.resizeColumnsToContents()

    # ---- remembered job --------------------------------------------------------------
    def apply_job(self, values: Mapping[str, Any]) -> None:
        for box, key in ((self.samples, "samples"), (self.epochs, "epochs")):
            if isinstance(values.get(key), int) and not isinstance(values.get(key), bool):
                box.setValue(int(values[key]))

    def job_settings(self) -> dict[str, int]:
        return {"samples": self.samples.value(), "epochs": self.epochs.value()}

    def fit_tables(self) -> None:
        """The prices table as tall as its rows; columns as wide as their headers and cells."""
        fit_table_height(self.prices_table)
        for table in (self.prices_table, self.projection):
            table.resizeColumnsToContents()


def _text(item: QTableWidgetItem | None) -> str:
    """A table cell's text; "" for a cell with no item."""
    return item.text() if item is not None else ""
