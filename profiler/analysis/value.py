"""What a device's throughput is worth: samples per joule, per dollar, and job projections.

Pure functions over frozen dataclasses; no I/O (prices are loaded by ``prices.py``).
Money is in the price book's currency. A purchase price is spread over its useful life
(``amortise_years`` x 365 x ``hours_per_day``) and electricity is added from the measured
power; a cloud rate per hour is taken to include electricity. Where energy was not
measured the energy figures are None (n/a) and a note says so; nothing is invented.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from profiler.metrics import keys
from profiler.results.result import RunResult

NA_ENERGY = "n/a: energy not measured"
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class DevicePrice:
    """The price of one device (``cpu``, ``cuda:0``...): a purchase or a cloud rate per hour."""

    device: str
    purchase_price: float | None = None
    amortise_years: float = 3.0
    hours_per_day: float = 8.0
    cloud_per_h: float | None = None

    @property
    def basis(self) -> str | None:
        """``cloud``, ``purchase`` or None when no price is set."""
        if self.cloud_per_h is not None:
            return "cloud"
        return "purchase" if self.purchase_price is not None else None

    @property
    def hardware_per_h(self) -> float | None:
        """Hardware cost per hour of use: the cloud rate or the amortised purchase."""
        if self.cloud_per_h is not None:
            return self.cloud_per_h
        if self.purchase_price is None:
            return None
        return self.purchase_price / (self.amortise_years * DAYS_PER_YEAR * self.hours_per_day)


@dataclass(frozen=True)
class PriceBook:
    """Prices of every device plus electricity (per kWh), in one currency."""

    electricity_per_kwh: float | None = None
    currency: str = "USD"
    devices: tuple[DevicePrice, ...] = ()

    def price_for(self, device: str) -> DevicePrice | None:
        return next((p for p in self.devices if p.device == device), None)

    def with_device(self, price: DevicePrice) -> PriceBook:
        others = tuple(p for p in self.devices if p.device != price.device)
        return replace(self, devices=(*others, price))


@dataclass(frozen=True)
class Measured:
    """What a run measured that value needs. ``power_w`` is the mean over the timed window."""

    device: str
    samples_per_s: float | None
    power_w: float | None
    power_source: str  # "energy counter", "mean power telemetry" or NA_ENERGY


@dataclass(frozen=True)
class Value:
    """Throughput per joule and per unit of money on one device."""

    device: str
    samples_per_s: float | None
    power_w: float | None
    samples_per_j: float | None
    cost_per_h: float | None
    samples_per_dollar: float | None
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Job:
    """A training job: ``dataset_samples`` x ``epochs`` samples."""

    dataset_samples: int
    epochs: float = 1.0

    @property
    def total_samples(self) -> float:
        return self.dataset_samples * self.epochs


@dataclass(frozen=True)
class Projection:
    """What ``job`` would take on ``device``: time (s), energy (Wh), cost (currency)."""

    device: str
    time_s: float | None
    energy_wh: float | None
    cost: float | None
    notes: tuple[str, ...] = field(default_factory=tuple)


def measured_power(device: str, samples_per_s: float | None, energy_j: float | None, timed_s: float | None,
                   telemetry: Mapping[str, Any]) -> Measured:
    """Mean power (W) from ``energy_j`` over ``timed_s`` seconds of timed window, else the mean
    power telemetry of ``device``; n/a when neither was measured."""
    if energy_j and timed_s:
        return Measured(device, samples_per_s, energy_j / timed_s, "energy counter")
    mean = keys.stat(telemetry, device, "power_w")
    if mean:
        return Measured(device, samples_per_s, mean, "mean power telemetry")
    return Measured(device, samples_per_s, None, NA_ENERGY)


def measured_from_result(result: Mapping[str, Any]) -> Measured:
    """``measured_power`` of a result dict (``RunResult.to_dict`` keys)."""
    return measured_power(str(result.get("device", "")), result.get("samples_per_s"), result.get("energy_j"),
                          result.get("timed_s"), result.get("telemetry") or {})


def measured_of(result: RunResult) -> Measured:
    """``measured_power`` of a run."""
    return measured_power(result.spec.device, result.samples_per_s, result.energy_j, result.timed_s,
                          result.telemetry)


def device_value(measured: Measured, price: DevicePrice | None,
                 electricity_per_kwh: float | None) -> Value:
    """Samples per joule and per unit of money for one measured device."""
    notes: list[str] = []
    sps, power_w = measured.samples_per_s, measured.power_w
    per_j = sps / power_w if sps is not None and power_w else None
    if power_w is None:
        notes.append(NA_ENERGY)
    cost_per_h = price.hardware_per_h if price is not None else None
    if price is None or price.basis is None:
        notes.append("no price set")
    elif price.basis == "purchase":
        if power_w is not None and electricity_per_kwh is not None:
            cost_per_h = (cost_per_h or 0.0) + power_w / 1000.0 * electricity_per_kwh
        else:
            notes.append("cost excludes electricity")
    per_dollar = sps * 3600.0 / cost_per_h if sps is not None and cost_per_h else None
    return Value(measured.device, sps, power_w, per_j, cost_per_h, per_dollar, tuple(notes))


def project(job: Job, value: Value) -> Projection:
    """Time, energy and cost of ``job`` at the measured rate of ``value``."""
    if not value.samples_per_s:
        return Projection(value.device, None, None, None, ("no throughput measured",))
    time_s = job.total_samples / value.samples_per_s
    energy_wh = value.power_w * time_s / 3600.0 if value.power_w is not None else None
    cost = value.cost_per_h * time_s / 3600.0 if value.cost_per_h is not None else None
    return Projection(value.device, time_s, energy_wh, cost, value.notes)


def value_table(results: Sequence[Mapping[str, Any]], prices: PriceBook,
                job: Job | None = None) -> list[tuple[Value, Projection | None]]:
    """Value (and the job's projection) for each result, in order."""
    rows = []
    for result in results:
        measured = measured_from_result(result)
        value = device_value(measured, prices.price_for(measured.device),
                             prices.electricity_per_kwh)
        rows.append((value, project(job, value) if job is not None else None))
    return rows


def cost_model(price: DevicePrice | None, electricity_per_kwh: float | None, power_w: float | None,
               currency: str) -> str:
    """The cost per hour of one device in words: which price is used, how it is spread and
    whether electricity is in it, e.g. "3,000 USD over 3 years at 8 h/day = 0.34 USD/h, plus
    65 W x 0.25 USD/kWh = 0.016 USD/h: 0.36 USD/h"."""
    from profiler import units

    def per_h(amount: float | None) -> str:
        return f"{units.money(amount, currency)}/h"

    if price is None or price.basis is None:
        return "no price set: enter a purchase price or a cloud rate per hour"
    if price.basis == "cloud":
        text = f"cloud rate {per_h(price.cloud_per_h)}, taken to include electricity"
        if price.purchase_price is not None:
            text += "; the purchase price is not used while a cloud rate is set"
        return text
    assert price.purchase_price is not None
    hours = price.amortise_years * DAYS_PER_YEAR * price.hours_per_day
    text = (f"{units.money(price.purchase_price, currency)} over {price.amortise_years:g} years at "
            f"{price.hours_per_day:g} h/day ({units.count(hours)} h) = {per_h(price.hardware_per_h)}")
    if power_w is None:
        return text + "; electricity not included: this run measured no energy"
    if electricity_per_kwh is None:
        return text + "; electricity not included: set a price per kWh"
    power_cost = power_w / 1000.0 * electricity_per_kwh
    total = (price.hardware_per_h or 0.0) + power_cost
    return (text + f", plus {units.power(power_w)} x {units.money(electricity_per_kwh, currency)}/kWh"
            f" = {per_h(power_cost)}: {per_h(total)}")
