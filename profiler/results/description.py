"""What a run measures, known once its model is built and before warm-up (``RunDescribed``).

A frozen copy of the result's descriptive fields, taken once by the training loop
(``RunDescription.of``). Observers read it to show live FLOP/s and both MFUs from step times;
the supervisor writes it back into a dead worker's rebuilt result (``fill``). A figure that is
not known is None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from profiler.metrics.flop_coverage import StepFlops

if TYPE_CHECKING:
    from profiler.results.result import RunResult


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class RunDescription:
    """The run's model, batch, FLOPs and both MFU references.

    ``peak_flops_per_s`` is the hardware peak (``peak_source`` how it was found, ``peak_inputs``
    what from, for a tooltip); ``ceiling_flops_per_s`` the best GEMM measured here
    (``ceiling_source``, ``ceiling_inputs``). ``model`` is the model in words (``mlp-S``,
    ``gpt2 (hf)``); ``architecture`` what was built (a library model's layers, width, heads);
    ``tokens_per_sample`` is set for sequence models. ``environment`` is the worker's (threads,
    CPUs, library versions), so a run whose worker dies keeps it, as it keeps ``flop_coverage``
    (which ops the FLOP count covers).
    """

    batch_size: int = 0
    samples_per_step: int = 0
    params: int = 0
    flops_per_step: float | None = None
    peak_flops_per_s: float | None = None
    peak_source: str | None = None
    peak_inputs: Mapping[str, Any] = field(default_factory=dict)
    ceiling_flops_per_s: float | None = None
    ceiling_source: str | None = None
    ceiling_inputs: Mapping[str, Any] = field(default_factory=dict)
    device_name: str | None = None
    device_info: Mapping[str, Any] = field(default_factory=dict)
    sample_unit: str = "samples"
    tokens_per_sample: int | None = None
    model: str = ""
    architecture: str = ""
    environment: Mapping[str, Any] = field(default_factory=dict)
    flop_coverage: StepFlops | None = None

    def __post_init__(self) -> None:
        for name in ("peak_inputs", "ceiling_inputs", "device_info", "environment"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def __getstate__(self) -> dict[str, Any]:  # mapping proxies do not pickle: plain dicts do
        return {name: dict(v) if isinstance(v, MappingProxyType) else v for name, v in self.__dict__.items()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        self.__post_init__()

    @classmethod
    def of(cls, result: RunResult, model: str) -> RunDescription:
        """The description of ``result`` as the loop has filled it after building the model."""
        return cls(
            batch_size=result.batch_size, samples_per_step=result.samples_per_step, params=result.params,
            flops_per_step=result.flops_per_step, peak_flops_per_s=result.peak_flops_per_s,
            peak_source=result.peak_source, peak_inputs=result.peak_inputs,
            ceiling_flops_per_s=result.ceiling_flops_per_s, ceiling_source=result.ceiling_source,
            ceiling_inputs=result.ceiling_inputs, device_name=result.device_info.get("name"),
            device_info=result.device_info, sample_unit=result.sample_unit,
            tokens_per_sample=result.tokens_per_sample, model=model, environment=result.environment,
            architecture=result.architecture,
            flop_coverage=result.flop_coverage,
        )

    def fill(self, result: RunResult) -> None:
        """Write the description back into ``result`` (a dead worker's rebuilt result)."""
        result.batch_size = self.batch_size
        result.samples_per_step = self.samples_per_step or result.samples_per_step
        result.params = self.params
        result.flops_per_step = self.flops_per_step
        result.peak_flops_per_s, result.peak_source = self.peak_flops_per_s, self.peak_source
        result.peak_inputs = dict(self.peak_inputs)
        result.ceiling_flops_per_s, result.ceiling_source = self.ceiling_flops_per_s, self.ceiling_source
        result.ceiling_inputs = dict(self.ceiling_inputs)
        result.device_info = dict(self.device_info)
        result.sample_unit = self.sample_unit
        result.tokens_per_sample = self.tokens_per_sample
        result.environment = dict(self.environment)
        result.architecture = self.architecture
        result.flop_coverage = self.flop_coverage
