"""Load and save the price book (``prices.json`` in the user config dir)."""

from __future__ import annotations

import json
import logging
import math
import os
import re
from pathlib import Path
from typing import Any

from profiler.analysis.value import DevicePrice, PriceBook
from profiler.history.paths import prices_path
from profiler.outputs import aside_path

log = logging.getLogger(__name__)

PRICES_SCHEMA = 1
_DEVICE_FIELDS = ("purchase_price", "amortise_years", "hours_per_day", "cloud_per_h")
#: an ISO 4217-style code: three letters (USD, EUR, JPY); stored in capitals
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
MAX_DEVICE_ID = 64


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


def check_currency(value: Any) -> str:
    """``value`` as a currency code (``"eur"`` -> ``"EUR"``); PricesError unless three letters."""
    if not isinstance(value, str) or not _CURRENCY.match(value):
        shown = repr(value)[:40]
        raise PricesError(f"currency must be a three-letter code such as USD or EUR, got {shown}")
    return value.upper()


def check_price(price: DevicePrice) -> DevicePrice:
    """Raise ``PricesError`` unless the device id is short and printable and every figure of
    ``price`` is a sane number."""
    if not price.device or len(price.device) > MAX_DEVICE_ID or not price.device.isprintable():
        raise PricesError(f"device must be a short id such as cpu or cuda:0, got {price.device[:40]!r}")
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
    currency = check_currency(data.get("currency", "USD"))
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
    """The saved price book; an empty one when no file exists yet. A bad file raises
    ``PricesError`` with one line that names the file and how to fix it."""
    file = Path(path) if path is not None else prices_path()
    if not file.exists():
        return PriceBook()
    fix = "edit it, or run `horsepower value reset` to set it aside and start over"
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).splitlines()[0][:120]
        raise PricesError(f"cannot read prices file {file} ({reason}): {fix}") from exc
    try:
        return book_from_dict(data)
    except (PricesError, TypeError) as exc:
        raise PricesError(f"prices file {file} is invalid ({str(exc)[:160]}): {fix}") from exc


def reset_prices(path: str | os.PathLike[str] | None = None) -> Path | None:
    """Move the prices file aside (``prices.json.old-<time>``) and return where; None if none."""
    file = Path(path) if path is not None else prices_path()
    if not file.exists():
        return None
    target = aside_path(file, "old")
    file.replace(target)
    log.info("prices file moved to %s", target)
    return target


def save_prices(book: PriceBook, path: str | os.PathLike[str] | None = None) -> Path:
    """Write ``book`` atomically (temp file + rename); returns the path."""
    file = Path(path) if path is not None else prices_path()
    tmp = file.with_name(file.name + ".tmp")
    tmp.write_text(json.dumps(book_to_dict(book), indent=2) + "\n", encoding="utf-8")
    tmp.replace(file)
    log.info("prices saved to %s", file)
    return file
