"""Load and save the price book (``prices.json`` in the user config dir)."""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path
from typing import Any

from profiler.analysis.value import DevicePrice, PriceBook
from profiler.history.paths import prices_path

log = logging.getLogger(__name__)

PRICES_SCHEMA = 1
_DEVICE_FIELDS = ("purchase_price", "amortise_years", "hours_per_day", "cloud_per_h")


class PricesError(ValueError):
    """A prices file or value is invalid; the message is meant for a user."""


def check_amount(name: str, value: Any, allow_zero: bool = True) -> float | None:
    """``value`` as a float if it is a finite number >= 0 (> 0 without ``allow_zero``)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PricesError(f"{name} must be a number, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise PricesError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return float(value)


def check_price(price: DevicePrice) -> DevicePrice:
    """Raise ``PricesError`` unless every figure of ``price`` is a sane number."""
    check_amount("purchase_price", price.purchase_price)
    check_amount("cloud_per_h", price.cloud_per_h)
    check_amount("amortise_years", price.amortise_years, allow_zero=False)
    hours = check_amount("hours_per_day", price.hours_per_day, allow_zero=False)
    if hours is not None and hours > 24:
        raise PricesError(f"hours_per_day must be at most 24, got {hours:g}")
    return price


def book_to_dict(book: PriceBook) -> dict[str, Any]:
    return {
        "schema": PRICES_SCHEMA,
        "currency": book.currency,
        "electricity_per_kwh": book.electricity_per_kwh,
        "devices": {p.device: {f: getattr(p, f) for f in _DEVICE_FIELDS} for p in book.devices},
    }


def book_from_dict(data: Any) -> PriceBook:
    """Validate and build a price book; ``PricesError`` names what is wrong."""
    if not isinstance(data, dict) or data.get("schema") != PRICES_SCHEMA:
        raise PricesError(f"not a Horsepower prices file (schema {PRICES_SCHEMA} expected)")
    currency = data.get("currency", "USD")
    if not isinstance(currency, str) or not 1 <= len(currency) <= 8:
        raise PricesError("currency must be a short text such as USD or EUR")
    devices = data.get("devices", {})
    if not isinstance(devices, dict):
        raise PricesError("devices must be an object of device -> price")
    prices = []
    for device, fields in devices.items():
        if not isinstance(fields, dict) or set(fields) - set(_DEVICE_FIELDS):
            raise PricesError(f"price of {device!r} must have only {', '.join(_DEVICE_FIELDS)}")
        prices.append(check_price(DevicePrice(device=str(device), **fields)))
    return PriceBook(
        electricity_per_kwh=check_amount("electricity_per_kwh", data.get("electricity_per_kwh")),
        currency=currency,
        devices=tuple(prices),
    )


def load_prices(path: str | os.PathLike[str] | None = None) -> PriceBook:
    """The saved price book; an empty one when no file exists yet."""
    file = Path(path) if path is not None else prices_path()
    if not file.exists():
        return PriceBook()
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PricesError(f"cannot read prices {file}: {exc}") from exc
    return book_from_dict(data)


def save_prices(book: PriceBook, path: str | os.PathLike[str] | None = None) -> Path:
    """Write ``book`` atomically (temp file + rename); returns the path."""
    file = Path(path) if path is not None else prices_path()
    tmp = file.with_name(file.name + ".tmp")
    tmp.write_text(json.dumps(book_to_dict(book), indent=2) + "\n", encoding="utf-8")
    tmp.replace(file)
    log.info("prices saved to %s", file)
    return file
