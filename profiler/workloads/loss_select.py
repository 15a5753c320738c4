"""Where the loss is in a model's output: a selector (``"output[1]"``), or found by shape.

A selector is a small path, never evaluated as Python: ``output`` followed by any number of
``[N]`` (an index, may be negative), ``["key"]`` / ``['key']`` (a dict key) and ``.name``
(an attribute), e.g. ``output[1]``, ``output.loss``, ``output["loss"]``, ``output[0].loss``.
Bare ``output`` means the model returns its loss.

With neither a selector nor a loss function, ``find_loss`` looks for the common shapes, in
order: the output is a scalar tensor; ``output.loss``; ``output["loss"]``; the first scalar
tensor of a tuple or list (nanoGPT's ``(logits, loss)``). Each answer says which shape it
used, so a run can state where its loss came from. Pure functions; thread-safe.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from profiler.workloads.batching import BatchError

#: one step of a selector: ("index", 1), ("key", "loss") or ("attr", "loss")
Step = tuple[str, Any]

_TOKEN = re.compile(r"""\[\s*(-?\d+)\s*\]|\[\s*"([^"\\]*)"\s*\]|\[\s*'([^'\\]*)'\s*\]|\.([A-Za-z_][A-Za-z0-9_]*)""")
SELECTOR_HELP = 'a selector is output followed by [N], ["key"] or .name steps, e.g. "output[1]" or "output.loss"'


class SelectorError(ValueError):
    """A loss selector that does not parse (one line for a user)."""


@dataclass(frozen=True)
class Selector:
    """A parsed loss selector; ``text`` is its canonical spelling."""

    steps: tuple[Step, ...]

    @property
    def text(self) -> str:
        out = "output"
        for kind, value in self.steps:
            out += f"[{value}]" if kind == "index" else f'["{value}"]' if kind == "key" else f".{value}"
        return out

    def apply(self, output: Any) -> Any:
        """The value the selector names in ``output``; ``BatchError`` when it matches nothing."""
        value = output
        for i, (kind, key) in enumerate(self.steps):
            where = Selector(self.steps[:i]).text
            try:
                if kind == "attr":
                    value = getattr(value, key)
                elif kind == "key":
                    if not isinstance(value, Mapping):
                        raise TypeError
                    value = value[key]
                else:
                    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__getitem__"):
                        raise TypeError
                    value = value[key]
            except (AttributeError, KeyError, IndexError, TypeError):
                raise BatchError(f"the loss selector {self.text!r} matches nothing: {where} is {describe(value)}; "
                                 f"fix \"loss\" in the workload ({SELECTOR_HELP})") from None
        return value


def parse_selector(text: str) -> Selector:
    """``"output[1].loss"`` -> ``Selector``; ``SelectorError`` for anything else."""
    body = text.strip()
    if not body.startswith("output"):
        raise SelectorError(f"loss selector {text!r} does not start with 'output': {SELECTOR_HELP}")
    rest = body[len("output"):]
    steps: list[Step] = []
    pos = 0
    while pos < len(rest):
        match = _TOKEN.match(rest, pos)
        if match is None:
            raise SelectorError(f"loss selector {text!r} cannot be read at {rest[pos:][:20]!r}: {SELECTOR_HELP}")
        index, dq, sq, attr = match.groups()
        if index is not None:
            steps.append(("index", int(index)))
        elif attr is not None:
            steps.append(("attr", attr))
        else:
            steps.append(("key", dq if dq is not None else sq))
        pos = match.end()
    return Selector(tuple(steps))


def find_loss(output: Any) -> tuple[torch.Tensor, str]:
    """The loss an output carries and which shape held it (``"output[1]: a (logits, loss)
    tuple"``); ``BatchError`` naming the output's shape when there is none."""
    if _scalar(output):
        return output, "output: the model returns its loss"
    loss = getattr(output, "loss", None)
    if isinstance(loss, torch.Tensor) and _scalar(loss):
        return loss, "output.loss"
    if isinstance(output, Mapping) and _scalar(output.get("loss")):
        return output["loss"], 'output["loss"]: a dict with a loss'
    if isinstance(output, (tuple, list)):
        for i, item in enumerate(output):
            if _scalar(item):
                shape = "(" + ", ".join("loss" if j == i else "logits" if j == 0 else "..."
                                        for j in range(len(output))) + ")"
                return item, f"output[{i}]: a {shape} {type(output).__name__}"
    raise BatchError(f"the workload has no loss function and the model's output ({describe(output)}) carries no "
                     "loss: give the workload a loss(output, target), a selector such as \"loss\": \"output[1]\", "
                     "or return the loss")


def _scalar(value: Any) -> bool:
    return isinstance(value, torch.Tensor) and value.ndim == 0 and value.is_floating_point()


def describe(value: Any) -> str:
    """``a tuple of 2 (Tensor, Tensor)``, ``a dict with keys logits, loss``, ``a Tensor of shape (8, 10)``."""
    if isinstance(value, torch.Tensor):
        return f"a Tensor of shape {tuple(value.shape)}"
    if isinstance(value, Mapping):
        return f"a {type(value).__name__} with keys {', '.join(map(str, list(value)[:8])) or 'none'}"
    if isinstance(value, (tuple, list)):
        items = ", ".join(type(v).__name__ for v in value[:6])
        return f"a {type(value).__name__} of {len(value)} ({items})"
    return "None" if value is None else f"a {type(value).__name__}"
