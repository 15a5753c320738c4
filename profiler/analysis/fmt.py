"""Number formatting shared by CLI tables, HTML reports and the GUI: n/a for None."""

from __future__ import annotations

NA = "n/a"
_PREFIXES = ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def si(value: float | None, unit: str = "", digits: int = 3) -> str:
    """``12.3 kunit``-style with an SI prefix; ``n/a`` for None."""
    if value is None:
        return NA
    for scale, prefix in _PREFIXES:
        if abs(value) >= scale:
            return f"{value / scale:.{digits}g} {prefix}{unit}".rstrip()
    return f"{value:.{digits}g} {unit}".rstrip()


def num(value: float | None, digits: int = 3) -> str:
    """Plain number with thousands separators for large values; ``n/a`` for None."""
    if value is None:
        return NA
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def pct(value: float | None) -> str:
    return NA if value is None else f"{value:.1%}"


def ratio(value: float | None) -> str:
    return NA if value is None else f"{value:.2f}x"


def money(value: float | None, currency: str = "USD") -> str:
    if value is None:
        return NA
    if abs(value) >= 100:
        return f"{value:,.0f} {currency}"
    if abs(value) >= 0.01:
        return f"{value:.2f} {currency}"
    return f"{value:.3g} {currency}"


def duration(seconds: float | None) -> str:
    """``42 s``, ``3.5 min``, ``2.1 h``, ``4.0 days``."""
    if seconds is None:
        return NA
    if seconds < 120:
        return f"{seconds:.3g} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
