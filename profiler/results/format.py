"""Human-readable numbers with units. ``None`` always renders as ``n/a``."""

from __future__ import annotations

NA = "n/a"


def si(value: float | None, unit: str, digits: int = 3) -> str:
    """``si(1.5e12, "FLOP/s") -> "1.50 TFLOP/s"``."""
    if value is None:
        return NA
    for scale, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.{digits}g} {prefix}{unit}"
    return f"{value:.{digits}g} {unit}"


def flops(value: float | None) -> str:
    return si(value, "FLOP/s")


def count(value: float | None, digits: int = 0) -> str:
    """Thousands-separated number: ``9,812``."""
    if value is None:
        return NA
    return f"{value:,.{digits}f}"


def nbytes(value: float | None) -> str:
    if value is None:
        return NA
    for scale, unit in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if abs(value) >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value:.0f} B"


def percent(fraction: float | None, digits: int = 1) -> str:
    """A fraction (0.42) as ``42.0%``."""
    if fraction is None:
        return NA
    return f"{fraction * 100:.{digits}f}%"


def seconds(value: float | None) -> str:
    if value is None:
        return NA
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        return f"{value * 1e3:.2f} ms"
    return f"{value:.2f} s"


def table(rows: list[tuple[str, str]]) -> str:
    """Two aligned columns."""
    width = max((len(k) for k, _ in rows), default=0)
    return "\n".join(f"  {k.ljust(width)}  {v}" for k, v in rows)
