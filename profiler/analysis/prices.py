"""Load and save the price book (``prices.json`` in the user config dir)."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any

from profiler import numbers
from profiler.analysis.value import DevicePrice, PriceBook
from profiler.error_text import first_line
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


def check_amount(name: str, value: Any, bound: numbers.Bound = numbers.MONEY) -> float | None:
    """``value`` as a float checked by ``bound`` (``profiler.numbers``); None stays None."""
    if value is None:
        return None
    try:
        return float(bound.named(name).check(value))
    except numbers.NumberError as exc:
        raise PricesError(str(exc)) from None


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
    check_amount("amortise_years", price.amortise_years, numbers.YEARS)
    check_amount("hours_per_day", price.hours_per_day, numbers.HOURS_PER_DAY)
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


def load_prices(path: str | os.PathLike[str] | None = None, notices: list[str] | None = None) -> PriceBook:
    """The saved price book; an empty one when no file exists yet. A bad file (unreadable
    JSON, nested too deep, a figure out of range) is set aside (``prices.json.bad-<time>``)
    and an empty book returned, with one line about it logged and added to ``notices``."""
    file = Path(path) if path is not None else prices_path()
    if not file.exists():
        return PriceBook()
    try:
        return book_from_dict(numbers.json_loads(file.read_text(encoding="utf-8")))
    except OSError as exc:
        reason = exc.strerror or str(exc)
    except (PricesError, TypeError, ValueError) as exc:
        reason = first_line(exc, 160, named=False)
    try:
        aside = file.rename(aside_path(file, "bad"))
        notice = f"prices file {file} was invalid ({reason}); set it aside as {aside.name} and started empty"
    except OSError:
        notice = f"prices file {file} is invalid ({reason}); prices are not used until it is fixed"
    log.warning("%s", notice)
    if notices is not None:
        notices.append(notice)
    return PriceBook()


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
