"""The model-check process (see ``model_check``): import, build, run one batch, report.

Runs in a spawned child only: it imports and runs the user's code. Each check reports each
activity (importing, building, running one batch) before it starts it, so the parent can say
what a crash or a hang interrupted.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from profiler.error_text import first_line
from profiler.results.model_ref import LIBRARIES, LIBRARY, PROTOCOL_DOC, ModelRefError, model_label
from profiler.results.spec import RunSpec
from profiler.runner.deadline import deadline, offer_to_oom_killer, open_dump

if TYPE_CHECKING:
    from profiler.workloads.footprint import Footprint
    from profiler.workloads.optimizer_state import OptimizerFacts

log = logging.getLogger(__name__)

FALLBACK_BATCH = 2  # samples per batch when the check runs on a real device
PROTOCOL = f"the workload protocol: {PROTOCOL_DOC}"


def check_child_main(spec_dicts: list[dict[str, Any]], conn: Connection, dump_path: str, timeout_s: float) -> None:
    """Entry point of the check process (module level, for spawn). Whatever the user's code
    prints goes to stderr: the parent's stdout may be the data channel (``--json -``)."""
    keep_stdout_for_data()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s model-check %(levelname)s %(name)s: %(message)s")
    open_dump(dump_path)
    offer_to_oom_killer()
    import profiler.workloads.user  # noqa: F401  # torch and the engine load before any deadline starts

    try:
        for index, data in enumerate(spec_dicts):
            spec = RunSpec.from_dict(data)

            def activity(text: str, index: int = index) -> None:
                conn.send(("activity", index, text))

            with deadline(timeout_s):
                answer = check_one(spec, activity)
            conn.send(("result", index, answer))
        conn.send(("done", -1, None))
    finally:
        conn.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # skip interpreter teardown (the user's objects may not tear down cleanly)


def keep_stdout_for_data() -> None:
    """Point this process's fd 1 (and ``sys.stdout``) at its stderr, for good."""
    try:
        sys.stdout.flush()
        os.dup2(2, 1)
    except (OSError, ValueError):
        return
    sys.stdout = sys.stderr


def check_one(spec: RunSpec, activity: Callable[[str], None]) -> dict[str, Any]:
    """Check ``spec``'s model; a ``ModelCheck`` as a dict (one line plus details on failure)."""
    from profiler.runner.fit import DoesNotFit
    from profiler.runner.model_check_answer import ModelCheck
    from profiler.workloads.batching import BatchError
    from profiler.workloads.loading import LibraryError, UserCodeError
    from profiler.workloads.protocol import WorkloadError
    from profiler.workloads.user import UserWorkload

    label = model_label(spec.model)
    workload = None
    try:
        workload = UserWorkload(spec.model, spec.model_hash)
        activity(f"importing {label}")
        source = workload.source
        knobs = workload.resolve_knobs(spec.size, spec.knobs)
        built, where, footprint = _run_one_batch(workload, spec, activity, label)
        batch_size = spec.batch_size or workload.last_batch_size or built.batch_size
        return ModelCheck(
            label, knobs=knobs, knob_help={k.name: k.help for k in source.knobs.values()},
            knob_kinds={k.name: k.kind for k in source.knobs.values()},
            knob_choices={k.name: list(k.choices) for k in source.knobs.values() if k.choices},
            params=built.params, batch_size=batch_size, sample_unit=built.sample_unit,
            tokens_per_sample=built.tokens_per_sample, host_dataset=built.host_dataset is not None,
            checked_on=where, library=source.library, footprint=footprint.to_dict() if footprint else None,
            loss_source=built.loss_source, architecture=built.architecture,
            optimizer=footprint.optimizer if footprint else "",
        ).to_dict()
    except DoesNotFit as exc:
        return ModelCheck(label, error=str(exc), does_not_fit=True).to_dict()
    except LibraryError as exc:
        return ModelCheck(label, error=str(exc), details=exc.details).to_dict()
    except UserCodeError as exc:
        return ModelCheck(label, error=f"{exc} ({PROTOCOL})", details=exc.details).to_dict()
    except BatchError as exc:
        return ModelCheck(label, error=f"{label}: {exc} ({PROTOCOL})", details=traceback.format_exc()).to_dict()
    except (WorkloadError, ModelRefError) as exc:
        text = str(exc)
        named = label in text or text.startswith(("hf", "timm", "torchvision", "unknown hf"))
        return ModelCheck(label, error=text if named else f"{label}: {text}").to_dict()
    except Exception as exc:
        if workload is not None and workload.ref.kind == LIBRARY:  # their batches are ours: name the library
            return ModelCheck(label, details=traceback.format_exc(), error=(
                f"{label}: the {LIBRARIES[workload.ref.library]} model does not train on a synthetic batch here: "
                f"{first_line(exc)}")).to_dict()
        return ModelCheck(label, details=traceback.format_exc(), error=(
            f"{label}: a batch from make_batch does not run through the model: {first_line(exc)} "
            f"({PROTOCOL})")).to_dict()


def _run_one_batch(workload: Any, spec: RunSpec, activity: Callable[[str], None],
                   label: str) -> tuple[Any, str, Footprint | None]:
    """Build on ``meta``, refuse a model that cannot fit here (``DoesNotFit``, before anything
    is allocated), then run one whole training step (the workload's optimizer and
    ``train_step`` included): on ``meta`` if the model can run there, else on the run's device
    at a batch of at most ``FALLBACK_BATCH``. The footprint's optimizer state is then the state
    that step left (the optimizer really used: SGD without momentum keeps none; a GAN's two
    Adams two copies of each network), checked again. Returns (built, where, footprint)."""
    from profiler.runner.fit import check_fit
    from profiler.workloads.batching import BatchError
    from profiler.workloads.footprint import parameter_footprint
    from profiler.workloads.protocol import ProtocolError

    activity(f"building {label} on meta")
    meta = workload.build("meta", spec.size, spec.batch_size, spec.knobs, spec.channels_last, spec.seed)
    try:  # the workload's optimizer stepped on meta copies; the real step below corrects it
        footprint = parameter_footprint(meta.model, meta.optimizer_factory)
    except Exception as exc:  # a factory that needs the model's own parameters: AdamW's state until then
        log.info("%s: optimizer state not countable on copies (%s)", label, exc)
        footprint = parameter_footprint(meta.model)
    check_fit(label, footprint, spec.device)  # weights, gradients and optimizer state alone
    activity(f"counting the activations of {label} on meta")
    footprint = _with_activations(workload, spec, meta, footprint)
    check_fit(label, footprint, spec.device)  # and one sample's activations
    try:
        activity(f"running one batch through {label} on meta")
        footprint = _with_state(footprint, _step(meta))
        check_fit(label, footprint, spec.device)
        return meta, "meta", footprint
    except (ProtocolError, BatchError):
        raise  # the workload's shape is wrong wherever it runs
    except Exception as exc:  # many models cannot run on meta (they read values): try for real
        log.info("%s does not run on meta (%s); checking on %s", label, exc, spec.device)
    del meta
    batch = min(spec.batch_size or FALLBACK_BATCH, FALLBACK_BATCH)
    activity(f"building {label} on {spec.device}")
    built = workload.build(spec.device, spec.size, batch, spec.knobs, spec.channels_last, spec.seed)
    activity(f"running one batch through {label} on {spec.device}")
    footprint = _with_state(footprint, _step(built))
    check_fit(label, footprint, spec.device)
    return built, spec.device, footprint


def _with_state(footprint: Footprint, optimizer: OptimizerFacts) -> Footprint:
    """``footprint`` with the optimizer state one real step left (when it could be read)."""
    if optimizer.state_bytes is None:
        return footprint
    return dataclasses.replace(footprint, optimizer_state_bytes=optimizer.state_bytes, optimizer=optimizer.name)


def _with_activations(workload: Any, spec: RunSpec, meta: Any, fixed: Footprint) -> Footprint:
    """``fixed`` with the activations per sample, measured on meta at batches 1 and 2."""
    from profiler.workloads.footprint import measure_footprint

    def batch_of(n: int) -> Any:
        return workload.build("meta", spec.size, n, spec.knobs, spec.channels_last, spec.seed).make_batch()

    try:
        measured = measure_footprint(meta.model, meta.loss_fn, batch_of, meta.optimizer_factory, loss_of=meta.loss_of)
    except Exception as exc:  # the workload's optimizer factory cannot run on parameter copies
        log.info("activations counted with AdamW's state (%s)", exc)
        measured = measure_footprint(meta.model, meta.loss_fn, batch_of, loss_of=meta.loss_of)
    return measured if measured.activations_measured else fixed


def _step(built: Any) -> OptimizerFacts:
    """One training step as the run will take it (the workload's ``train_step`` or forward,
    loss, backward and the optimizer's step); the optimizer's name and state after it."""
    from profiler.workloads.batching import check_loss
    from profiler.workloads.feed import step_loss
    from profiler.workloads.optimizer_state import describe_optimizer

    built.model.train()
    optimizer = built.make_optimizer()
    batch = built.make_batch()
    if built.train_step is not None:
        step_loss(built.train_step(built.model, batch, optimizer), "the workload")
    else:
        loss = check_loss(built.loss_of(built.model, batch))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return describe_optimizer(optimizer, built.optimizer_factory is None)
