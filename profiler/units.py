"""Human-readable numbers with units: the one formatter of the CLI, the reports and the window.

Every function takes a plain number (or None) and returns text; ``None`` always renders as
``n/a``, never as 0. Prefixes are chosen by size (``82.5 GFLOP/s``, ``1.38 s``), so one
figure reads the same in every view.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence

NA = "n/a"
TIMES = "\u00d7"  # the one speedup / ratio sign: 2.50×
_SI = ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))
_BINARY = ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"))


#: characters that move the cursor, change colours or reorder text on a terminal: C0 and C1
#: controls, DEL, line/paragraph separators and the bidirectional overrides and isolates
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_KEEP_NEWLINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(text: object, keep_newlines: bool = False) -> str:
    """``text`` safe to print on a terminal: every control character (escape sequences, ``\\r``,
    bidi overrides; newlines too unless ``keep_newlines``) is shown as ``\\x1b`` / ``\\u202e``.
    Use it for every name and user- or file-supplied text the CLI prints."""
    value = text if isinstance(text, str) else str(text)
    pattern = _CONTROL_KEEP_NEWLINES if keep_newlines else _CONTROL
    return pattern.sub(_escape, value)


def _finite(value: float | None) -> bool:
    return value is not None and isinstance(value, (int, float)) and math.isfinite(value)


def si(value: float | None, unit: str = "", digits: int = 3, spaced: bool = False) -> str:
    """``si(1.5e12, "FLOP/s") -> "1.5 TFLOP/s"``; ``spaced`` puts a space after the prefix
    (``78.9 M samples/$``) for units that are words."""
    if not _finite(value):
        return NA
    assert value is not None
    gap = " " if spaced else ""
    for scale, prefix in _SI:
        if abs(value) >= scale:
            return f"{value / scale:.{digits}g} {prefix}{gap}{unit}".rstrip()
    return f"{value:.{digits}g} {unit}".rstrip()


def flops(value: float | None) -> str:
    """A FLOP rate: ``82.5 GFLOP/s``, ``1.2 TFLOP/s``."""
    return si(value, "FLOP/s")


def flop(value: float | None) -> str:
    """A FLOP count: ``2.45 GFLOP``."""
    return si(value, "FLOP")


def count(value: float | None, digits: int = 0) -> str:
    """Thousands-separated number: ``9,812``; small values keep 3 significant digits."""
    if not _finite(value):
        return NA
    assert value is not None
    if digits == 0 and abs(value) < 100 and value != int(value):
        return f"{value:.3g}"
    return f"{value:,.{digits}f}"


def num(value: float | None, digits: int = 3) -> str:
    """A plain figure: ``9,812`` for large values, ``3.14`` for small ones."""
    if not _finite(value):
        return NA
    assert value is not None
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def rate(value: float | None, unit: str = "samples") -> str:
    """A throughput in a sample unit: ``9,812 samples/s``."""
    return NA if not _finite(value) else f"{count(value)} {unit}/s"


def nbytes(value: float | None) -> str:
    """Bytes with a binary prefix: ``1.5 GiB``."""
    if not _finite(value):
        return NA
    assert value is not None
    for scale, unit in _BINARY:
        if abs(value) >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value:.0f} B"


def percent(fraction: float | None, digits: int = 1) -> str:
    """A fraction (0.42) as ``42.0%``."""
    if not _finite(fraction):
        return NA
    assert fraction is not None
    return f"{fraction * 100:.{digits}f}%"


def pct(value: float | None, digits: int = 0) -> str:
    """A reading already in percent (0-100, such as CPU busy) as ``48%``."""
    if not _finite(value):
        return NA
    assert value is not None
    return f"{value:.{digits}f}%"


def share(fraction: float | None) -> str:
    """A share such as MFU, digits by size: ``52%``, ``6.9%``, ``0.52%``."""
    if not _finite(fraction):
        return NA
    assert fraction is not None
    pct = fraction * 100
    digits = 0 if abs(pct) >= 10 else 1 if abs(pct) >= 1 else 2
    return f"{pct:.{digits}f}%"


def signed_share(fraction: float | None) -> str:
    """A difference as a share, with its sign: ``+7.4%``, ``-12%``, ``+0.52%``."""
    if not _finite(fraction):
        return NA
    assert fraction is not None
    return f"{'-' if fraction < 0 else '+'}{share(abs(fraction))}"


def ratio(value: float | None) -> str:
    """A speedup or any ratio: ``2.50×``, ``0.51×``, ``38.0×``, ``412×``."""
    if not _finite(value):
        return NA
    assert value is not None
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:.{digits}f}{TIMES}"


def seconds(value: float | None) -> str:
    """A short time: ``850 µs``, ``12.3 ms``, ``1.38 s``, ``2.5 min`` (3 significant digits)."""
    if not _finite(value):
        return NA
    assert value is not None
    if value >= 120:
        return duration(value)
    if abs(value) < 1e-3:
        return f"{value * 1e6:.3g} µs"
    if abs(value) < 1:
        return f"{value * 1e3:.3g} ms"
    return f"{value:.3g} s"


def duration(value: float | None) -> str:
    """A long time: ``42 s``, ``3.5 min``, ``2.1 h``, ``4.0 days``."""
    if not _finite(value):
        return NA
    assert value is not None
    if value < 120:
        return f"{value:.3g} s"
    if value < 7200:
        return f"{value / 60:.1f} min"
    if value < 172800:
        return f"{value / 3600:.1f} h"
    return f"{value / 86400:.1f} days"


#: round lengths of time for a log axis (they read better than decades of seconds): (seconds, words)
ROUND_DURATIONS = ((0.01, "10 ms"), (0.1, "0.1 s"), (1.0, "1 s"), (10.0, "10 s"), (60.0, "1 min"),
                   (600.0, "10 min"), (3600.0, "1 h"), (36000.0, "10 h"), (86400.0, "1 day"),
                   (604800.0, "1 week"), (2592000.0, "30 days"), (31536000.0, "1 year"),
                   (315360000.0, "10 years"))


def duration_ticks(lo_s: float, hi_s: float) -> list[tuple[float, str]]:
    """(seconds, words) of ``ROUND_DURATIONS`` from the one at or below ``lo_s`` to the one at
    or above ``hi_s``: a log time axis spanning them shows every point; a time beyond the
    last adds its own tick."""
    below = [i for i, (v, _w) in enumerate(ROUND_DURATIONS) if v <= lo_s]
    above = [i for i, (v, _w) in enumerate(ROUND_DURATIONS) if v >= hi_s]
    first = below[-1] if below else 0
    last = above[0] if above else len(ROUND_DURATIONS) - 1
    ticks = list(ROUND_DURATIONS[first:last + 1])
    if hi_s > ROUND_DURATIONS[-1][0]:
        ticks.append((hi_s, duration(hi_s)))
    return ticks


def decades(lo: float, hi: float) -> list[float]:
    """The powers of ten from the one at or below ``lo`` to the one at or above ``hi`` (both > 0)."""
    return [10.0 ** k for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)]


def started_text(started_at: float | None) -> str:
    """A run's start, the one way every view shows it: ``2026-12-07 10:58:31`` (local time;
    seconds since the epoch in). n/a when unknown."""
    if not isinstance(started_at, (int, float)) or isinstance(started_at, bool) or not _finite(started_at) \
            or started_at <= 0:
        return NA
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started_at))
    except (OverflowError, OSError, ValueError):  # beyond what this platform's clock can show
        return NA


def money(value: float | None, currency: str = "USD") -> str:
    """An amount with its currency: ``1,234 USD``, ``0.40 USD``, ``0.0012 USD``, ``under 0.0001 USD``
    (never scientific notation)."""
    if not _finite(value):
        return NA
    assert value is not None
    if abs(value) >= 100:
        return f"{value:,.0f} {currency}"
    if abs(value) >= 0.01 or value == 0:
        return f"{value:.2f} {currency}"
    if abs(value) >= 0.0001:
        return f"{value:.4f} {currency}"
    return f"under 0.0001 {currency}"


def per_money(value: float | None, unit: str, currency: str = "USD") -> str:
    """A count per unit of money: ``78.9 M samples/USD``."""
    return si(value, f"{unit}/{currency}", spaced=True)


def power(value: float | None) -> str:
    """Watts: ``245 W``."""
    return NA if not _finite(value) else f"{value:.3g} W"


def energy(value: float | None) -> str:
    """Joules with a prefix: ``512 J``, ``1.2 kJ``."""
    return si(value, "J")


def table(rows: list[tuple[str, str]]) -> str:
    """Two aligned columns, indented by two spaces."""
    safe = [(plain(k), plain(v)) for k, v in rows]
    width = max((len(k) for k, _ in safe), default=0)
    return "\n".join(f"  {k.ljust(width)}  {v}" for k, v in safe)


def columns(rows: Sequence[Sequence[str]], right: tuple[int, ...] = ()) -> str:
    """A plain-text table with a rule under the header; ``right`` lists right-aligned columns."""
    if not rows:
        return ""
    rows = [[plain(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) if i in right else cell.ljust(w)
                       for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
