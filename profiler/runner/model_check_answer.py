"""What checking a user's model found (``ModelCheck``): the answer the model-check child
(``model_check_child``) sends and the parent (``model_check``) caches. Its own module so
the two sides share it without importing each other."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelCheck:
    """What checking a user's model found. ``error`` is one line ("" when the model passed);
    ``details`` the traceback or stack dump from their code. On success the facts: resolved
    ``knobs`` (defaults and overrides) with ``knob_help``, ``params``, the default or given
    ``batch_size``, ``sample_unit``, ``tokens_per_sample``, whether it has a ``host_dataset``
    for the input pipeline, where the batch was run (``checked_on``: meta or a device) and
    the ``library`` that builds it. ``footprint`` is the model's training memory counted on
    meta (``Footprint.to_dict``; None if not counted); ``does_not_fit`` marks an ``error``
    that says the model cannot train here at any batch (refused before allocating).
    ``knob_kinds`` gives each knob's type (int, float, bool, str) and ``knob_choices`` a str
    knob's choices. ``loss_source`` says where the loss came from (``output[1]: a (logits,
    loss) tuple``), ``architecture`` what was built (libraries), ``optimizer`` the optimizer(s)
    trained with, whose state after one real step is the footprint's optimizer state."""

    label: str
    error: str = ""
    details: str = ""
    knobs: dict[str, int | float | bool | str] = field(default_factory=dict)
    knob_help: dict[str, str] = field(default_factory=dict)
    knob_kinds: dict[str, str] = field(default_factory=dict)
    knob_choices: dict[str, list[str]] = field(default_factory=dict)
    params: int = 0
    batch_size: int = 0
    sample_unit: str = "samples"
    tokens_per_sample: int | None = None
    host_dataset: bool = False
    checked_on: str = ""
    library: str = ""
    footprint: dict[str, Any] | None = None
    does_not_fit: bool = False
    loss_source: str = ""
    architecture: str = ""
    optimizer: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
