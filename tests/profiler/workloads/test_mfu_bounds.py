"""No built-in workload or example model reports MFU above 100%: their counted FLOPs are not
inflated (a grouped convolution counted as dense inflated MFU 3-14x)."""

from __future__ import annotations

import pytest

from profiler.devices.discovery import describe_device
from profiler.results.model_ref import model_spec_fields
from profiler.results.spec import RunSpec
from profiler.runner import run_training
from profiler.workloads import WORKLOADS
from tests.paths import EXAMPLES

SHORT = {"steps": 3, "threads": 1, "warmup_max_steps": 2, "warmup_max_s": 0.5, "phase_every": 0}


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_builtin_mfu_is_at_most_100_percent(name: str) -> None:
    batch = {"mlp": 64, "cnn": 16, "gpt": 4, "lstm": 8}.get(name, 8)
    result = run_training(RunSpec(workload=name, size="S", batch_size=batch, **SHORT),  # type: ignore[arg-type]
                          device_info=describe_device("cpu"))
    assert result.status == "completed", result.error
    assert result.mfu is not None and 0 < result.mfu <= 1.0
    assert result.flop_coverage is not None and not result.flop_coverage.uncounted


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_example_mfu_is_at_most_100_percent(example: str) -> None:
    spec = RunSpec(**model_spec_fields(f"{EXAMPLES / example}:build"), batch_size=8, **SHORT)  # type: ignore[arg-type]
    result = run_training(spec, device_info=describe_device("cpu"))
    assert result.status == "completed", result.error
    assert result.mfu is not None and 0 < result.mfu <= 1.0
