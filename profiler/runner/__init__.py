"""The measured training loop: warm-up, synchronized timing, FLOPs, cancel, events."""

from profiler.runner.loop import run_training
from profiler.runner.validate import SpecError, validate_spec, validate_specs

__all__ = ["SpecError", "run_training", "validate_spec", "validate_specs"]
