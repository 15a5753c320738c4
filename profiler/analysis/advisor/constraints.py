"""The user's constraints in the user's words: dataset size, epochs, budget, deadline, buy or rent.

``parse_deadline("24h")`` -> 86400 s (units s, min, h, d, w; ``90min``, ``1.5h``, ``3d``);
``parse_budget("50")`` -> a total, ``parse_budget("2/h")`` -> a rate per hour. Bad input raises
``ConstraintError`` with one line naming what is wrong.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

DEFAULT_SAMPLES = 1_000_000
AUTO, BUY, RENT = "auto", "buy", "rent"
_UNITS_S = {"s": 1.0, "sec": 1.0, "second": 1.0, "m": 60.0, "min": 60.0, "minute": 60.0, "h": 3600.0,
            "hr": 3600.0, "hour": 3600.0, "d": 86400.0, "day": 86400.0, "w": 604800.0, "week": 604800.0}
_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([a-z]+?)s?\s*$", re.IGNORECASE)
_BUDGET = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:(?:/|per\s*)(h|hr|hour))?\s*$", re.IGNORECASE)


class ConstraintError(ValueError):
    """A constraint the advisor cannot use; the message is one line for the user."""


def parse_deadline(text: str) -> float:
    """Seconds in ``text`` such as ``24h``, ``90min``, ``3d``, ``45s``, ``2w``."""
    found = _DURATION.match(text or "")
    unit = found.group(2).lower() if found else ""
    if not found or unit not in _UNITS_S:
        raise ConstraintError(f"deadline {text!r} is not a duration; write e.g. 24h, 90min, 3d")
    seconds = float(found.group(1)) * _UNITS_S[unit]
    if seconds <= 0:
        raise ConstraintError(f"deadline {text!r} must be longer than zero")
    return seconds


def parse_budget(text: str) -> tuple[float | None, float | None]:
    """(total, per hour) from ``50`` or ``2/h``; exactly one is set."""
    found = _BUDGET.match(text or "")
    if not found:
        raise ConstraintError(f"budget {text!r} is not an amount; write e.g. 50 (total) or 2/h (per hour)")
    amount = float(found.group(1))
    if amount <= 0:
        raise ConstraintError(f"budget {text!r} must be more than zero")
    return (None, amount) if found.group(2) else (amount, None)


def _positive(name: str, value: float | None, whole: bool = False) -> None:
    if value is None:
        return
    if not math.isfinite(value) or value <= 0:
        raise ConstraintError(f"{name} must be more than zero, got {value:g}")
    if whole and value != int(value):
        raise ConstraintError(f"{name} must be a whole number, got {value:g}")


@dataclass(frozen=True)
class Constraints:
    """A job and what bounds it. Money is in ``currency``; electricity per kWh."""

    samples: int = DEFAULT_SAMPLES
    epochs: float = 1.0
    budget_total: float | None = None
    budget_per_h: float | None = None
    deadline_s: float | None = None
    mode: str = AUTO
    amortise_years: float = 3.0
    hours_per_day: float = 8.0
    electricity_per_kwh: float | None = None
    currency: str = "USD"
    samples_given: bool = True

    def __post_init__(self) -> None:
        _positive("samples", self.samples, whole=True)
        _positive("epochs", self.epochs)
        _positive("budget", self.budget_total)
        _positive("budget per hour", self.budget_per_h)
        _positive("deadline", self.deadline_s)
        _positive("amortisation years", self.amortise_years)
        _positive("hours per day", self.hours_per_day)
        if self.hours_per_day > 24:
            raise ConstraintError(f"hours per day must be at most 24, got {self.hours_per_day:g}")
        if self.electricity_per_kwh is not None and (not math.isfinite(self.electricity_per_kwh)
                                                     or self.electricity_per_kwh < 0):
            raise ConstraintError(f"electricity price must be >= 0, got {self.electricity_per_kwh:g}")
        if self.mode not in (AUTO, BUY, RENT):
            raise ConstraintError(f"mode must be {AUTO}, {BUY} or {RENT}, got {self.mode!r}")

    @property
    def total_samples(self) -> float:
        return self.samples * self.epochs

    @property
    def hardware_hours(self) -> float:
        """Hours of use a purchase is spread over."""
        return self.amortise_years * 365.0 * self.hours_per_day
