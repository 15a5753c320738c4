"""A model's knobs: its factory's keyword arguments of a simple type, and their values.

A knob is an ``int``, ``float``, ``bool`` or ``str`` keyword argument with a default; its
kind is its default's type. A ``str`` knob annotated ``Literal["LSTM", "GRU"]`` takes only
those choices. ``Annotated[T, "help"]`` gives it help. Values from the command line arrive
as literals (``--knob dropout=0.1``) or text and are coerced to the knob's kind here, the
same way in the check process and the worker; a value of the wrong kind is a
``KnobError`` naming the model, the knob and an example of a right value. Pure; thread-safe.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from profiler.workloads.protocol import WorkloadError

#: a knob's value: one simple type
KnobValue = int | float | bool | str
KINDS = ("int", "float", "bool", "str")
TRUE, FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")
MAX_TEXT = 200  # a str knob's longest value


class KnobError(WorkloadError):
    """A knob value of the wrong kind, or a choice the knob does not offer (one line)."""


def kind_of(value: Any) -> str | None:
    """``"int"``, ``"float"``, ``"bool"``, ``"str"``, or None for any other value."""
    if isinstance(value, bool):
        return "bool"
    for kind, cls in (("int", int), ("float", float), ("str", str)):
        if isinstance(value, cls):
            return kind
    return None


@dataclass(frozen=True)
class Knob:
    """One keyword argument of a factory: its default (whose type is the knob's kind), its
    help (may be "") and, for a ``str`` knob with a ``Literal`` annotation, its choices."""

    name: str
    default: KnobValue
    help: str = ""
    choices: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return kind_of(self.default) or "str"

    def coerce(self, value: Any, who: str) -> KnobValue:
        """``value`` as this knob's kind; ``KnobError`` (one line naming ``who``) if it is not one."""
        out = _coerce(self.kind, value)
        if out is None:
            example = self.choices[0] if self.choices else _example(self.default)
            raise KnobError(f"{who}: knob {self.name} takes {_KIND_WORDS[self.kind]}, got {str(value)[:40]!r}: "
                            f"give e.g. --knob {self.name}={example}")
        if self.choices and out not in self.choices:
            raise KnobError(f"{who}: knob {self.name} is one of {', '.join(self.choices)}, got {out!r}: give e.g. "
                            f"--knob {self.name}={self.choices[0]}")
        return out


_KIND_WORDS = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "text"}


def _example(default: KnobValue) -> str:
    return str(default).lower() if isinstance(default, bool) else str(default)


def _coerce(kind: str, value: Any) -> KnobValue | None:
    """``value`` as ``kind``, or None when it is not one."""
    text = value.strip() if isinstance(value, str) else None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if text is not None and text.lower() in TRUE + FALSE:
            return text.lower() in TRUE
        return None
    if kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if text is not None and text.lstrip("+-").isdigit() and len(text) <= 19:
            return int(text)
        return None
    if kind == "float":
        number: float | None = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        elif text:
            try:
                number = float(text)
            except ValueError:
                number = None
        return number if number is not None and math.isfinite(number) else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        out = str(value)
        return out if out.strip() and len(out) <= MAX_TEXT else None
    return None


def resolve(knobs: Mapping[str, Knob], overrides: Mapping[str, Any] | None, who: str) -> dict[str, KnobValue]:
    """Every knob's default, with ``overrides`` coerced to their kinds (``KnobError`` else)."""
    values: dict[str, KnobValue] = {k.name: k.default for k in knobs.values()}
    for name, value in (overrides or {}).items():
        if name not in knobs:
            raise KnobError(f"{who}: unknown knob {name!r}; choose from {', '.join(knobs) or 'none'}")
        values[name] = knobs[name].coerce(value, who)
    return values


def knob_from_parameter(name: str, default: Any, annotation: Any) -> Knob | None:
    """The knob a factory parameter makes, or None when its default is of no simple type."""
    if kind_of(default) is None:
        return None
    choices: tuple[str, ...] = ()
    base = annotation
    help_text = ""
    if typing.get_origin(annotation) is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        help_text = next((m for m in meta if isinstance(m, str)), "")
    if typing.get_origin(base) is Literal:
        args = typing.get_args(base)
        if isinstance(default, str) and all(isinstance(a, str) for a in args):
            choices = tuple(args)
    return Knob(name, default, help_text, choices)


def parse_literal(text: str) -> KnobValue:
    """A command-line knob value: an integer, a number, true/false, else the text itself
    (the knob's kind decides later; ``coerce`` turns each into the kind it needs)."""
    body = text.strip()
    if body.lstrip("+-").isdigit() and len(body) <= 19:
        return int(body)
    if body.lower() in ("true", "false"):
        return body.lower() == "true"
    try:
        number = float(body)
    except ValueError:
        return body
    return number if math.isfinite(number) else body


def _knob_parts(text: str) -> list[str]:
    """``text`` split at spaces, commas and semicolons outside brackets (``depths=[3,4,6,3]`` is one)."""
    parts, current, depth = [], "", 0
    for char in text:
        depth += {"[": 1, "(": 1, "]": -1, ")": -1}.get(char, 0)
        if char in " \t,;" and depth <= 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p for p in (*parts, current) if p]


def parse_knob_list(text: str) -> dict[str, KnobValue]:
    """``"num_labels=1000 seq_len=512"`` (spaces, commas or semicolons between; a bracketed list
    such as ``depths=[3,4,6,3]`` is one value) as knobs, each value a ``parse_literal``;
    ``KnobError`` (one line) for a part that is not NAME=VALUE."""
    knobs: dict[str, KnobValue] = {}
    for part in _knob_parts(text):
        name, sep, value = part.partition("=")
        if not sep or not name.isidentifier() or not value or len(value) > MAX_TEXT:
            raise KnobError(f"a knob is NAME=VALUE (num_labels=1000), got {part[:80]!r}")
        knobs[name] = parse_literal(value)
    return knobs
