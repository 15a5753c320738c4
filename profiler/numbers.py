"""Every number from the user or a file, checked at the boundary: finite, in range, right type.

One ``Bound`` per kind of number names it, its unit and its range; ``Bound.parse`` reads the
user's text (a command-line flag, a window field), ``Bound.check`` a value read from a file
(JSON settings, caches, ``hardware.json``), and ``Bound.arg`` is the ``type=`` of an argparse
flag. Each raises ``NumberError`` with one line for the user that names the number, what it
must be and what it got (``--threads must be a whole number from 1 to 4096, got 1e+23``).
The CLI turns that into exit 2; a file's reader sets the file aside with a notice.
``json_loads`` parses a file's JSON with its depth bounded (a deeply nested file is an error,
not a crash).

The common bounds are here (``THREADS``, ``BATCH``, ``STEPS``, ``DURATION_S`` ...), so the CLI,
the window, the settings and the caches agree on them.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

DAY_S = 86400.0
MAX_JSON_DEPTH = 64


class NumberError(ValueError):
    """A number that cannot be used; ``str()`` is one line for the user."""


def _show(value: object) -> str:
    if isinstance(value, float) and math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True)
class Bound:
    """The range of one kind of number: ``low`` <= value <= ``high`` (``low_open``: > ``low``),
    a whole number when ``integer``; ``unit`` is said after the range ("seconds")."""

    name: str
    low: float | None = None
    high: float | None = None
    integer: bool = False
    low_open: bool = False
    unit: str = ""

    def named(self, name: str) -> Bound:
        """The same range under another name (a flag, a field, a JSON key)."""
        return replace(self, name=name)

    def describe(self) -> str:
        kind = "a whole number" if self.integer else "a number"
        unit = f" {self.unit}" if self.unit else ""
        low = None if self.low is None else (int(self.low) if self.integer else self.low)
        high = None if self.high is None else (int(self.high) if self.integer else self.high)
        if low is not None and high is not None:
            if self.low_open:
                return f"{kind} above {_show(low)} and at most {_show(high)}{unit}"
            return f"{kind} from {_show(low)} to {_show(high)}{unit}"
        if low is not None:
            return f"{kind} {'above' if self.low_open else 'of at least'} {_show(low)}{unit}"
        if high is not None:
            return f"{kind} of at most {_show(high)}{unit}"
        return f"a finite {kind[2:] if kind.startswith('a ') else kind}"

    def _fail(self, got: object) -> NumberError:
        return NumberError(f"{self.name} must be {self.describe()}, got {_show(got)}")

    def check(self, value: object) -> Any:
        """``value`` (from a file or code) as an int or float in range; NumberError otherwise.
        Booleans, strings, lists and None are not numbers; 3.0 is a whole number."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise NumberError(f"{self.name} must be {self.describe()}, got {type(value).__name__} {_show(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise self._fail(value)
        if self.integer:
            if isinstance(value, float):
                if value != int(value):
                    raise self._fail(value)
                value = int(value)
        too_low = self.low is not None and (value <= self.low if self.low_open else value < self.low)
        too_high = self.high is not None and value > self.high
        if too_low or too_high:
            raise self._fail(value)
        return value

    def parse(self, text: str) -> Any:
        """The user's ``text`` as a number in range; NumberError otherwise."""
        raw = str(text).strip()
        try:
            value: float | int = int(raw) if self.integer else float(raw)
        except ValueError:
            try:
                value = float(raw)  # "1e3" for a whole number, or "1e23" refused by range below
            except ValueError:
                raise NumberError(f"{self.name} must be {self.describe()}, got {_show(raw)}") from None
        except OverflowError:
            raise self._fail(raw) from None
        try:
            return self.check(value)
        except NumberError:
            raise self._fail(raw) from None

    def arg(self) -> Callable[[str], Any]:
        """An argparse ``type=`` that parses with this bound (argparse adds the flag's name)."""

        def parse(text: str) -> Any:
            try:
                return self.parse(text)
            except NumberError as exc:
                raise argparse.ArgumentTypeError(str(exc)) from None

        parse.__name__ = "number"
        return parse


def optional(bound: Bound, value: object) -> Any:
    """``bound.check(value)``, with None passing through as None (n/a)."""
    return None if value is None else bound.check(value)


def json_loads(text: str) -> Any:
    """``json.loads`` with nesting at most ``MAX_JSON_DEPTH`` deep and no NaN/Infinity
    literals; ValueError (one line) otherwise."""
    depth = max_depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            max_depth = max(max_depth, depth)
            if max_depth > MAX_JSON_DEPTH:
                raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        elif char in "]}":
            depth -= 1

    def refuse(name: str) -> Any:
        raise ValueError(f"JSON holds {name}, which is not a number")

    return json.loads(text, parse_constant=refuse)


# ---- the common bounds ---------------------------------------------------------------
THREADS = Bound("threads", 1, 4096, integer=True)
BATCH = Bound("batch size", 1, 16_777_216, integer=True)
STEPS = Bound("steps", 1, 100_000_000, integer=True)
DURATION_S = Bound("duration", 0, 7 * DAY_S, low_open=True, unit="seconds")
TIMEOUT_S = Bound("timeout", 0, 7 * DAY_S, low_open=True, unit="seconds")
LOADER_WORKERS = Bound("DataLoader workers", 0, 256, integer=True)
COUNT = Bound("count", 1, 1_000_000_000, integer=True)
PORT = Bound("port", 1, 65535, integer=True)
NODES = Bound("nodes", 1, 65536, integer=True)
SEED = Bound("seed", 0, 2**63 - 1, integer=True)
KNOB = Bound("knob", -(2**31), 2**31 - 1, integer=True)
BYTES = Bound("bytes", 1, 2**50, integer=True)
MONEY = Bound("price", 0, 1e12)
YEARS = Bound("years", 0.01, 100, unit="years")
HOURS_PER_DAY = Bound("hours a day", 0.01, 24, unit="hours")
SAMPLES = Bound("samples", 1, 1e18, integer=True)
EPOCHS = Bound("epochs", 0, 1e6, low_open=True)
FLOPS = Bound("FLOP/s", 1e3, 1e21)  # a kFLOP/s to well above any machine built (about 1e18 today)
PIXELS = Bound("window size", 1, 32768, integer=True, unit="pixels")
