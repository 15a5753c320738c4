"""A projected figure as a low-nominal-high band, and the arithmetic the projection needs.

Every projected number the advisor shows is a ``Band``; a measured number is a plain float and
never a ``Band`` (so the two cannot be mixed up by accident). Operations are monotonic, so a
band is carried through by evaluating its corners: a time is ``work / rate``, so the low time
comes from the high rate. Pure functions, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

#: the words every projected figure carries
PROJECTED = "projected, not measured"
#: the confidence of a projection whose error the back-test never measured (a GPU vendor the
#: published corpus has no figure of): its band is borrowed, not earned
UNTESTED = "untested"
#: band width (high / low) up to which a projection is called high / medium confidence
HIGH_CONFIDENCE_WIDTH, MEDIUM_CONFIDENCE_WIDTH = 1.6, 3.0


@dataclass(frozen=True)
class Band:
    """``low <= nominal <= high``, all finite and >= 0 (a time, a rate, money, energy)."""

    low: float
    nominal: float
    high: float

    def __post_init__(self) -> None:
        values = (self.low, self.nominal, self.high)
        if not all(math.isfinite(v) and v >= 0 for v in values):
            raise ValueError(f"a band needs finite values >= 0, got {values}")
        if not self.low <= self.nominal <= self.high:
            raise ValueError(f"a band needs low <= nominal <= high, got {values}")

    @classmethod
    def exact(cls, value: float) -> Band:
        return cls(value, value, value)

    @classmethod
    def around(cls, nominal: float, low_factor: float, high_factor: float) -> Band:
        """``nominal`` with ``low = nominal * low_factor`` and ``high = nominal * high_factor``."""
        return cls(nominal * low_factor, nominal, nominal * high_factor)

    def scale(self, factor: float) -> Band:
        """Times a non-negative exact number."""
        return Band(self.low * factor, self.nominal * factor, self.high * factor)

    def times(self, other: Band) -> Band:
        """The product of two independent non-negative bands."""
        return Band(self.low * other.low, self.nominal * other.nominal, self.high * other.high)

    def plus(self, other: Band) -> Band:
        return Band(self.low + other.low, self.nominal + other.nominal, self.high + other.high)

    def inverse_times(self, numerator: float) -> Band:
        """``numerator / self`` (the low result comes from the high divisor)."""
        if self.low <= 0:
            raise ValueError("cannot divide by a band that reaches 0")
        return Band(numerator / self.high, numerator / self.nominal, numerator / self.low)

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def width(self) -> float:
        """``high / low`` (1.0 for an exact band; inf when low is 0)."""
        return self.high / self.low if self.low > 0 else math.inf

    @property
    def confidence(self) -> str:
        """``high``, ``medium`` or ``low`` from the band's width."""
        if self.width <= HIGH_CONFIDENCE_WIDTH:
            return "high"
        return "medium" if self.width <= MEDIUM_CONFIDENCE_WIDTH else "low"

    def span(self, fmt: Callable[[float], str]) -> str:
        """The band's range in words, low to high: ``2.5 min-6.1 min`` for ``units.duration``."""
        return f"{fmt(self.low)}-{fmt(self.high)}"

    def to_dict(self) -> dict[str, float]:
        return {"low": self.low, "nominal": self.nominal, "high": self.high}


def band_max(*bands: Band) -> Band:
    """Corner-wise maximum (the roofline: the slowest roof sets the step time)."""
    return Band(max(b.low for b in bands), max(b.nominal for b in bands), max(b.high for b in bands))


def divide(numerator: Band, denominator: Band) -> Band:
    """``numerator / denominator`` of two independent bands."""
    if denominator.low <= 0:
        raise ValueError("cannot divide by a band that reaches 0")
    return Band(numerator.low / denominator.high, numerator.nominal / denominator.nominal,
                numerator.high / denominator.low)
