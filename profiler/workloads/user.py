"""A user's own model as a workload: a file, a module or a library name (``RunSpec.model``).

``UserWorkload`` is a ``Workload`` like the built-ins: the same ``build`` on a device, the
same FLOP counting, the same runner. Its knobs are its factory's keyword arguments of a
simple type (``def build(width: int = 256, dropout: float = 0.1)``, ``knobs``); sizes do not
apply. Loading runs the user's code, so a ``UserWorkload`` is built in the worker or the
model-check process, never in the window's.
Errors from their code are ``UserCodeError`` (message plus full traceback).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from profiler.results.spec import RunSpec

from profiler.results.model_ref import FILE, LIBRARY, USER_WORKLOAD, ModelRef, model_file, model_hash, parse_model_ref
from profiler.workloads.base import Workload
from profiler.workloads.batching import Batch
from profiler.workloads.knobs import Knob, KnobValue, resolve
from profiler.workloads.libraries import ModelSource, timm_source, torchvision_source
from profiler.workloads.loading import factory_knobs, load_factory, user_error
from profiler.workloads.memory_limits import is_out_of_memory
from profiler.workloads.protocol import ModelWorkload, WorkloadError, as_model_workload


def load_source(ref: ModelRef) -> ModelSource:
    """Import what ``ref`` names and return its factory with its knobs."""
    if ref.kind == LIBRARY:
        if ref.library == "hf":
            from profiler.workloads.hf import hf_source

            return hf_source(ref)
        return timm_source(ref.target) if ref.library == "timm" else torchvision_source(ref.target)
    fn = load_factory(ref)
    where = os.path.basename(ref.target) if ref.kind == FILE else ref.target
    who = f"{ref.factory}() in {where}"
    return ModelSource(who, factory_knobs(fn, who), fn)


def check_model_file(spec: RunSpec) -> None:
    """``WorkloadError`` if the model's file no longer has the hash its spec recorded (edited
    between setting up the run and building it: the result would name the wrong model)."""
    ref = parse_model_ref(spec.model)
    path = model_file(ref)
    if spec.model_hash and path and os.path.isfile(path) and model_hash(ref) != spec.model_hash:
        raise WorkloadError(f"{path} or a local module it imports changed after this run was set up (its sha256 "
                            "differs): set the run up again, so the result names the model that really ran")


class UserWorkload(Workload):
    """The workload ``model`` names (``model_hash``: its file's sha256, for the cache key)."""

    sample_unit = "samples"
    presets = {}  # noqa: RUF012  # sizes do not apply: knobs come from the factory
    default_batch = {}  # noqa: RUF012
    knob_help = {}  # noqa: RUF012

    def __init__(self, model: str, model_hash: str = "") -> None:
        self.ref = parse_model_ref(model)
        self.model = model
        self.model_hash = model_hash
        self.name = USER_WORKLOAD
        self.title = self.ref.label
        self.description = f"your model: {self.ref.text}"
        self._source: ModelSource | None = None
        #: the default batch size the factory last declared (None before the first build)
        self.last_batch_size: int | None = None

    @property
    def source(self) -> ModelSource:
        """The loaded factory (loaded once; imports the user's module on first use)."""
        if self._source is None:
            self._source = load_source(self.ref)
        return self._source

    @property
    def knobs(self) -> dict[str, Knob]:
        return dict(self.source.knobs)

    @property
    def cache_key(self) -> tuple[Any, ...]:
        return (USER_WORKLOAD, self.ref.text, self.model_hash)

    def resolve_knobs(self, size: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The factory's defaults with ``overrides`` coerced to each knob's kind (``KnobError``
        names the model and a right value); ``size`` is ignored (it has no presets)."""
        values: dict[str, KnobValue] = resolve(self.source.knobs, overrides, self.title)
        return dict(values)

    def default_batch_size(self, size: str, parts: ModelWorkload) -> int:
        return parts.batch_size

    def factory(self, knobs: dict[str, Any]) -> ModelWorkload:
        source = self.source
        try:
            answer = source.build(**knobs)
        except WorkloadError:  # already one clear line (ours, or a factory's own knob check)
            raise
        except Exception as exc:
            if is_out_of_memory(exc):
                raise  # not a bug in their code: the run reports it as out of memory
            raise user_error(f"{source.who} raised", exc) from None
        parts = as_model_workload(answer, source.who)
        self.last_batch_size = parts.batch_size
        parts.make_batch = _guarded_make_batch(parts.make_batch, source.who)
        return parts


def _guarded_make_batch(make: Callable[[torch.device, int], Batch], who: str) -> Callable[[torch.device, int], Batch]:
    """``make`` with its exceptions as ``UserCodeError`` (their code, their traceback), except
    running out of memory, which passes through as it is: the run's batch search answers it."""

    def make_batch(device: torch.device, batch_size: int) -> Batch:
        try:
            return make(device, batch_size)
        except Exception as exc:
            if is_out_of_memory(exc):
                raise
            raise user_error(f"make_batch of {who} raised", exc) from None

    return make_batch
