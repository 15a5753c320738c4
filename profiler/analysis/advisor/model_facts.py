"""What one training sample of a model costs, counted without training it.

``count_model(ref, knobs)`` builds the model (a built-in name, ``file.py:factory``,
``module:factory`` or ``hf:...``) on the ``meta`` device and runs one forward + backward
under torch's ``FlopCounterMode`` (the engine's counter, ``profiler.workloads.flops``) and an
autograd hook that sums the tensors saved for backward: FLOPs per sample, the share of them
in convolutions (which PyTorch runs in TF32 by default on Ampere and newer), parameters and
activation bytes per sample, with the engine's formulas for the ops torch miscounts
(``profiler.workloads.flop_formulas``: a convolution's backward is one forward per gradient,
grouped and depthwise alike). A model whose forward
reads tensor values (Hugging Face's mask helpers) cannot run on ``meta``: it is counted by a
real CPU step at batch 1 instead (a long sequence at two short lengths, extrapolated; ``how``
says which). FLOPs and activations are per sample: they scale with the batch;
parameters do not.

``shipped_facts()`` reads the facts of the corpus models from
``resources/published/model_facts.json`` (written by ``bench/count_corpus_models.py``:
counting ResNet-50 or BERT-large takes seconds, too slow for import time).
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from profiler.analysis.advisor.resources_io import PUBLISHED_DIR, read_text

log = logging.getLogger(__name__)

FACTS_FILE = "model_facts.json"
#: batch the meta count runs at (per-sample figures are the total / batch)
COUNT_BATCH = 2
#: sequence lengths a model that cannot run on meta is stepped at on the CPU (then extrapolated)
SHORT_SEQS = (64, 128)
_CONV_OPS = ("convolution", "conv")


class CountError(ValueError):
    """The model could not be built or counted; the message is one line for the user."""


@dataclass(frozen=True)
class ModelFacts:
    """Per-sample training cost of a model. Bytes are fp32 (16-bit autocast holds less)."""

    ref: str
    knobs: Mapping[str, Any]
    flops_per_sample: float          # forward + backward, multiply-add = 2
    params: int
    conv_share: float                # share of the FLOPs in convolutions (0-1)
    activation_bytes_per_sample: float | None
    how: str                         # "meta" or "one CPU step at batch 1"
    sample_unit: str = "samples"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "knobs": dict(self.knobs)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelFacts:
        act = data.get("activation_bytes_per_sample")
        return cls(str(data["ref"]), dict(data.get("knobs") or {}), float(data["flops_per_sample"]),
                   int(data["params"]), float(data.get("conv_share") or 0.0),
                   float(act) if act is not None else None, str(data.get("how") or ""),
                   str(data.get("sample_unit") or "samples"))


def facts_key(ref: str, knobs: Mapping[str, Any]) -> str:
    """``hf:gpt2 n_layer=12;seq_len=1024``: one model with its knobs."""
    text = ";".join(f"{k}={knobs[k]}" for k in sorted(knobs))
    return f"{ref} {text}".strip()


def builtin_model(ref: str) -> tuple[str, str] | None:
    """(name, size) of a built-in model reference, the way a run's name writes it: ``gpt`` is
    ``("gpt", "S")``, ``cnn-L`` is ``("cnn", "L")``; None for any other reference."""
    from profiler.workloads import WORKLOADS

    name, dash, size = ref.partition("-")
    if name in WORKLOADS and (not dash or size.upper() in WORKLOADS[name].presets):
        return name, size.upper() if dash else "S"
    return None


def count_reference(ref: str, knobs: Mapping[str, Any] | None = None) -> ModelFacts:
    """``count_model`` of a reference as a user writes it: a built-in at its size (``cnn-L``)
    or any other reference (``CountError`` if it cannot be counted)."""
    builtin = builtin_model(ref)
    return count_model(builtin[0], knobs, builtin[1]) if builtin else count_model(ref, knobs)


def _workload(ref: str) -> Any:
    from profiler.workloads import WORKLOADS
    from profiler.workloads.user import UserWorkload

    if ref in WORKLOADS:
        return WORKLOADS[ref]
    if ":" not in ref:  # not a file, module or library reference: a misspelt built-in, or a library name
        from profiler.results.model_ref import FORMS

        sizes = "/".join(WORKLOADS["gpt"].presets)
        raise CountError(f"{ref!r} is not a built-in model ({', '.join(sorted(WORKLOADS))}, optionally with a "
                         f"size: gpt-L, sizes {sizes}); any other model is {FORMS} (ResNet-50: "
                         "hf:microsoft/resnet-50 or torchvision:resnet50)")
    return UserWorkload(ref)


def _measure(built: Any, on_meta: bool) -> tuple[float, float, float]:
    """(FLOPs, conv FLOPs, saved activation bytes) of one forward + backward of ``built``."""
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    from profiler.workloads.batching import forward_loss
    from profiler.workloads.flop_formulas import formulas
    from profiler.workloads.footprint import SavedTensorMeter

    model = built.model.train()
    meter = SavedTensorMeter(model)
    counter = FlopCounterMode(display=False, custom_mapping=formulas())  # the engine's formulas (flop_formulas)
    with ExitStack() as stack:
        stack.enter_context(torch.random.fork_rng(devices=[]))
        if not on_meta:
            stack.enter_context(sdpa_kernel(SDPBackend.MATH))
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*TF32 acceleration on top of oneDNN.*")
                stack.enter_context(torch.backends.mkldnn.flags(enabled=False))
        stack.enter_context(counter)  # one context: re-entering a FlopCounterMode resets it
        with meter:
            loss = forward_loss(model, built.loss_fn, built.make_batch())
        loss.backward()
    counts = counter.get_flop_counts().get("Global", {})
    conv = sum(n for op, n in counts.items() if any(c in str(op) for c in _CONV_OPS))
    return float(counter.get_total_flops()), float(conv), float(meter.total_bytes)


def _on_cpu(workload: Any, size: str, knobs: Mapping[str, Any]) -> tuple[Any, tuple[float, float, float], str]:
    """One real CPU step at batch 1; a sequence model longer than ``SHORT_SEQS[1]`` is stepped
    at two short lengths and extrapolated exactly (a transformer's FLOPs and saved bytes per
    sequence are ``a*seq + b*seq**2``), which keeps memory and time small."""
    seq = workload.resolve_knobs(size, knobs).get("seq_len")
    if not isinstance(seq, int) or seq <= SHORT_SEQS[1]:
        built = workload.build("cpu", size, 1, knobs)
        return built, _measure(built, on_meta=False), "one CPU step at batch 1 (the model cannot run on meta)"
    (s1, s2), counts, builds = SHORT_SEQS, [], []
    for short in SHORT_SEQS:
        builds.append(workload.build("cpu", size, 1, {**knobs, "seq_len": short}))
        counts.append(_measure(builds[-1], on_meta=False))

    def extrapolate(y1: float, y2: float) -> float:
        b = (y2 / s2 - y1 / s1) / (s2 - s1)
        return (y1 / s1 - b * s1) * seq + b * seq * seq

    values = tuple(extrapolate(a, b) for a, b in zip(counts[0], counts[1], strict=True))
    how = f"CPU steps at batch 1, seq {s1} and {s2}, extrapolated to {seq} as a*seq + b*seq^2 (no meta run)"
    return builds[0], (values[0], values[1], values[2]), how


def count_model(ref: str, knobs: Mapping[str, Any] | None = None, size: str = "S",
                cpu_fallback: bool = True) -> ModelFacts:
    """Count ``ref`` with ``knobs`` (``CountError`` if it cannot be built or counted; also when
    it cannot run on meta and ``cpu_fallback`` is off)."""
    import torch

    from profiler.results.model_ref import ModelRefError
    from profiler.workloads import WorkloadError

    knobs = dict(knobs or {})
    try:
        workload = _workload(ref)
        try:
            with torch.random.fork_rng(devices=[]), torch.device("meta"):
                built = workload.build("meta", size, COUNT_BATCH, knobs)
            total, conv, saved = _measure(built, on_meta=True)
            batch, how = COUNT_BATCH, "meta"
        except (RuntimeError, NotImplementedError) as exc:
            if not cpu_fallback:
                raise CountError(f"cannot count {ref} on meta: {exc}") from None
            log.info("%s cannot run on meta (%s): CPU steps at batch 1", ref, exc)
            built, (total, conv, saved), how = _on_cpu(workload, size, knobs)
            batch = 1
    except CountError:
        raise
    except (WorkloadError, ModelRefError) as exc:  # their message is the one line already
        raise CountError(f"cannot count {ref}: {exc}") from None
    except Exception as exc:  # a user's or a library's code: any failure is one line
        raise CountError(f"cannot count {ref}: {type(exc).__name__}: {exc}") from None
    if total <= 0:
        raise CountError(f"cannot count {ref}: its training step counted no FLOPs")
    samples = max(1, int(built.samples_per_step // max(1, built.batch_size))) * batch
    return ModelFacts(ref, knobs, total / samples, int(built.params), conv / total,
                      saved / samples if saved else None, how, built.sample_unit)


@lru_cache(maxsize=1)
def shipped_facts() -> dict[str, ModelFacts]:
    """The corpus models' facts by ``facts_key`` ({} when the file is missing)."""
    try:
        data = json.loads(read_text(PUBLISHED_DIR, FACTS_FILE))
    except FileNotFoundError:
        log.warning("%s is missing: run bench/count_corpus_models.py", FACTS_FILE)
        return {}
    return {key: ModelFacts.from_dict(row) for key, row in data.get("models", {}).items()}
