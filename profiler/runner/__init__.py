"""The measured training loop: warm-up, synchronized timing, FLOPs, cancel, events.

The package's names load on first use (PEP 562), so a light submodule (``quiet``, ``faults``)
can be imported without torch: the window shows before torch is imported.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from profiler.runner.loop import run_training
    from profiler.runner.validate import SpecError, validate_spec, validate_specs

__all__ = ["SpecError", "run_training", "validate_spec", "validate_specs"]

_HOMES = {"run_training": "profiler.runner.loop", "SpecError": "profiler.runner.validate",
          "validate_spec": "profiler.runner.validate", "validate_specs": "profiler.runner.validate"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
