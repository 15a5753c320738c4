"""One line of an exception for a message, a log line or a stored reason: ``first_line``."""

from __future__ import annotations


def first_line(exc: BaseException, limit: int = 300, *, named: bool = True) -> str:
    """The first line of ``exc``'s message, cut to ``limit`` characters ("..." marks a cut).

    ``named`` (default): ``ValueError: the message``; ``named=False``: the message alone. An
    exception without a message is its type's name either way."""
    lines = str(exc).strip().splitlines()
    if not lines:
        return type(exc).__name__
    text = lines[0].strip()
    if len(text) > limit:
        text = text[: max(limit - 3, 0)] + "..."
    return f"{type(exc).__name__}: {text}" if named else text
