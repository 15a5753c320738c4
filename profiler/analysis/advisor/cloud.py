"""Cloud on-demand prices per accelerator-hour: the shipped, dated table and user rows.

A price row names the catalogue device, the provider and offer, the price per hour, the date
it was read (``read_on``) and its source URL. ``parse_price`` validates one row (shipped or
from the user's ``hardware.json``) and raises ``ValueError`` naming the problem.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from profiler import numbers
from profiler.analysis.advisor.resources_io import HARDWARE_DIR, read_text

FILE = "cloud_prices.json"
PRICE_FIELDS = {"device", "provider", "offer", "usd_per_h", "read_on", "source", "via", "note"}
REQUIRED = ("device", "provider", "usd_per_h", "read_on", "source")


@dataclass(frozen=True)
class CloudPrice:
    """``usd_per_h`` for one accelerator (or CPU) of ``device`` at ``provider``."""

    device: str
    provider: str
    offer: str
    usd_per_h: float
    read_on: str
    source: str
    via: str = ""
    note: str = ""
    user: bool = False

    def age_days(self, today: dt.date | None = None) -> int:
        return ((today or dt.date.today()) - dt.date.fromisoformat(self.read_on)).days

    @property
    def label(self) -> str:
        return f"{self.provider} {self.offer}".strip()

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "provider": self.provider, "offer": self.offer,
                "usd_per_h": self.usd_per_h, "read_on": self.read_on, "age_days": self.age_days(),
                "source": self.source, "via": self.via, "note": self.note, "user": self.user}


def check_date(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a date YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} must be a date YYYY-MM-DD, got {value!r}") from None
    if day > dt.date.today():
        raise ValueError(f"{name} {value} is in the future")
    return value


def parse_price(raw: Any, user: bool = False) -> CloudPrice:
    """One validated price row; ``ValueError`` names the first problem."""
    if not isinstance(raw, Mapping):
        raise ValueError("a price must be an object")
    unknown = sorted(set(raw) - PRICE_FIELDS)
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(PRICE_FIELDS))}")
    missing = [k for k in REQUIRED if raw.get(k) in (None, "")]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    rate = raw["usd_per_h"]
    rate = numbers.Bound("usd_per_h", 1e-4, 1e6).check(rate)  # NumberError is a ValueError
    for key in ("device", "provider", "offer", "source", "via", "note"):
        if key in raw and not isinstance(raw[key], str):
            raise ValueError(f"{key} must be text")
    return CloudPrice(device=raw["device"], provider=raw["provider"], offer=raw.get("offer", ""),
                      usd_per_h=float(rate), read_on=check_date(raw["read_on"], "read_on"),
                      source=raw["source"], via=raw.get("via", ""), note=raw.get("note", ""), user=user)


@lru_cache(maxsize=1)
def shipped_prices() -> tuple[CloudPrice, ...]:
    data = json.loads(read_text(HARDWARE_DIR, FILE))
    return tuple(parse_price(row) for row in data["prices"])
