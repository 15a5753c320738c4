"""What the advice is about: a model's counted cost at the batch and precision the user will train with.

A ``Subject`` is made from a measured run (``subject_of_run``: its counted FLOPs, parameters
and step census, scaled to ``--batch``) or from a model reference alone (``subject_of_model``:
counted on the meta device, no training). FLOPs and activations scale with the batch;
parameter traffic and optimizer state do not. FLOPs do not depend on the dtype, so any
precision the target has a figure for can be projected.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from profiler.analysis.advisor.bands import Band
from profiler.analysis.advisor.census import (
    HALF_PRECISION_FACTORS,
    OPTIMIZER_BYTES_PER_PARAM,
    STATE_BYTES_PER_PARAM,
    WEIGHT_PASS_BYTES_PER_PARAM,
    StepFacts,
    activation_memory,
    builtin_workload,
)
from profiler.analysis.advisor.gpu_model import family_of
from profiler.analysis.advisor.model_facts import CountError, ModelFacts, count_model, count_reference, facts_key
from profiler.analysis.advisor.precision import HALF, default_precision
from profiler.results.result import RunResult

log = logging.getLogger(__name__)

_FAMILY_OF_WORKLOAD = {"cnn": "cnn", "gpt": "gpt", "lstm": "lstm"}
_CONV_FAMILIES = ("cnn", "depthwise_cnn")


class SubjectError(ValueError):
    """The subject cannot be made (bad batch, a model that cannot be counted); one line."""


@dataclass(frozen=True)
class Subject:
    """A model at the target batch and precision; ``step`` is one training step of it there."""

    name: str
    facts: ModelFacts
    family: str | None
    batch: int
    precision: str
    step: StepFacts
    same_as_run: bool   # the run measured exactly this batch and precision
    notes: tuple[str, ...] = ()
    model_key: str | None = None  # ``model_facts.facts_key`` when the model is named (a corpus model?)


def check_batch(batch: int | str | None) -> int | None:
    if batch is None:
        return None
    try:
        value = int(batch)
    except (TypeError, ValueError):
        raise SubjectError(f"batch must be a whole number more than zero, got {batch!r}") from None
    if value <= 0 or str(value) != str(batch).strip():
        raise SubjectError(f"batch must be a whole number more than zero, got {batch!r}")
    return value


def step_of(facts: ModelFacts, batch: int, precision: str) -> StepFacts:
    """One training step of ``facts`` at ``batch`` (AdamW state; activations from the count)."""
    params = facts.params
    state_traffic = float((OPTIMIZER_BYTES_PER_PARAM + WEIGHT_PASS_BYTES_PER_PARAM) * params)
    how = [f"counted {facts.how}: {facts.flops_per_sample:.4g} FLOPs per sample, {params:,} parameters"]
    if facts.activation_bytes_per_sample is None:
        return StepFacts(facts.flops_per_sample * batch, batch, batch, params, STATE_BYTES_PER_PARAM * params, None,
                         Band.exact(state_traffic), None, tuple(how))
    lo, nom, hi = HALF_PRECISION_FACTORS if precision in HALF else (1.0, 1.0, 1.0)
    act = facts.activation_bytes_per_sample * batch
    activations = activation_memory(act, precision in HALF)
    moved = Band(state_traffic + 2 * act * lo, state_traffic + 2 * act * nom, state_traffic + 4 * act * hi)
    how.append("activations: tensors saved for backward (counted), scaled to the batch")
    return StepFacts(facts.flops_per_sample * batch, batch, batch, params, STATE_BYTES_PER_PARAM * params,
                     activations, moved, None, tuple(how))


def scale_step(step: StepFacts, batch: int) -> StepFacts:
    """``step`` at another batch: FLOPs and activations scale, parameter traffic does not."""
    if step.batch_size <= 0 or batch == step.batch_size:
        return step
    k = batch / step.batch_size
    fixed = float((OPTIMIZER_BYTES_PER_PARAM + WEIGHT_PASS_BYTES_PER_PARAM) * step.params)

    def moved(v: float) -> float:
        return fixed + max(0.0, v - fixed) * k

    b = step.bytes_moved
    return replace(step, flops=step.flops * k if step.flops else None, samples=round(step.samples * k),
                   batch_size=batch, activation_bytes=step.activation_bytes.scale(k) if step.activation_bytes else None,
                   bytes_moved=Band(moved(b.low), moved(b.nominal), moved(b.high)),
                   how=(*step.how, f"scaled from batch {step.batch_size} to {batch}: FLOPs and activations x{k:.3g}, "
                                   "parameter traffic unchanged"))


def _run_family(run: RunResult) -> str | None:
    if run.spec.model:
        return family_of(run.spec.model)
    return _FAMILY_OF_WORKLOAD.get(run.spec.workload)


def _counted(run: RunResult) -> ModelFacts | None:
    """The run's model counted on meta: a built-in workload, or an ``hf:`` model (library code,
    random weights); None for a file model (its code is not run here) or one meta cannot run."""
    knobs = dict(run.spec.knobs)
    workload = builtin_workload(run)
    model = run.spec.model
    try:
        if workload is not None:
            return count_model(workload.name, knobs, run.spec.size or "S")
        if model.startswith("hf:"):
            return count_model(model, knobs, cpu_fallback=False)
    except CountError as exc:
        log.info("the run's model was not counted: %s", exc)
    return None


def _conv_share(counted: ModelFacts | None, family: str | None) -> tuple[float, str]:
    """Share of the FLOPs in convolutions: counted, else from the family (a CNN: all, otherwise
    none), said so."""
    if counted is not None:
        return counted.conv_share, "counted"
    share = 1.0 if family in _CONV_FAMILIES else 0.0
    return share, f"taken as {share:.0%} from the model family ({family or 'unknown'})"


def subject_of_run(run: RunResult, step: StepFacts, precision: str | None = None,
                   batch: int | None = None) -> Subject:
    """The run's model at ``batch`` (default: the run's) and ``precision`` (default: what the
    run's dtype setting means on a target, ``precision.default_precision``)."""
    run_precision = run.spec.precision or "fp32"
    target_precision = precision or default_precision(run_precision)
    target_batch = batch or step.batch_size or 1
    if not step.flops or not step.samples:
        raise SubjectError("the run counted no FLOPs: GPU rows cannot be projected from it")
    family = _run_family(run)
    counted = _counted(run)
    share, share_how = _conv_share(counted, family)
    per_sample = step.activations_per_sample()
    facts = ModelFacts(run.name or run.spec.workload or "run", {}, step.flops / step.samples,
                       step.params, share, per_sample.nominal if per_sample else None, "the run's own count")
    notes = [f"convolution share of the FLOPs {share_how}"]
    if step.activation_bytes is None and counted is not None and counted.activation_bytes_per_sample:
        with_act = step_of(replace(facts, activation_bytes_per_sample=counted.activation_bytes_per_sample),
                           step.batch_size, run_precision)
        step = replace(step, activation_bytes=with_act.activation_bytes, bytes_moved=with_act.bytes_moved,
                       how=(*step.how, "activations: tensors saved for backward, counted on meta"))
        facts = replace(facts, activation_bytes_per_sample=counted.activation_bytes_per_sample)
    elif step.activation_bytes is None:
        notes.append("activations unknown (a file model is not run here): memory fit from parameters only; "
                     "`horsepower advise --model REF` counts them")
    scaled = scale_step(step, target_batch)
    same = target_batch == step.batch_size and target_precision == run_precision
    model = run.spec.model
    key = facts_key(model, dict(run.spec.knobs)) if model else None
    return Subject(run.name or run.run_id, facts, family, target_batch, target_precision,
                   scaled, same, tuple(notes), key)


def subject_of_model(ref: str, knobs: Mapping[str, Any], batch: int, precision: str) -> Subject:
    """``ref`` counted on meta (or one CPU step), at ``batch`` and ``precision``; ``SubjectError``."""
    try:
        facts = count_reference(ref, knobs)
    except CountError as exc:
        raise SubjectError(str(exc)) from None
    return subject_of_facts(ref, knobs, facts, batch, precision)


def subject_of_facts(ref: str, knobs: Mapping[str, Any], facts: ModelFacts, batch: int, precision: str) -> Subject:
    """``ref`` with ``knobs``, already counted (``facts``: here, or in a child process), at
    ``batch`` and ``precision``."""
    family = family_of(ref)
    how = "on the meta device" if facts.how == "meta" else f"by {facts.how}"
    notes = (f"{ref} counted {how}; family: {family or 'unknown (the efficiency model uses no family term)'}",)
    return Subject(ref, facts, family, batch, precision, step_of(facts, batch, precision), False, notes,
                   facts_key(ref, knobs))
