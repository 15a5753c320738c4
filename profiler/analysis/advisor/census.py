"""What one training step of a run moves and launches, beside the FLOPs the run counted.

For a built-in workload the step is replayed on the ``meta`` device (shapes only, nothing
allocated) under a dispatch mode that counts every non-view aten op (a kernel launch on an
accelerator) and the bytes of its input and output tensors (memory traffic with no cache
reuse and no fusion: an upper bound of what eager PyTorch moves), while an autograd hook
sums the tensors saved for backward (the activations held at this batch size). AdamW adds
``OPTIMIZER_BYTES_PER_PARAM`` of traffic and ``OPTIMIZER_KERNELS`` launches. The compulsory
traffic (state read and written once, activations written and read once) is the band's low;
the nominal is the geometric mean of the two (caches catch part of the re-reads).

Any other model (a user's own) is estimated from its parameter count only: state traffic and
memory are known, activations and launches are not (n/a, said so). Results are cached.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from profiler.analysis.advisor.bands import Band
from profiler.results.result import RunResult
from profiler.workloads import WORKLOADS, Workload, WorkloadError
from profiler.workloads.footprint import SavedTensorMeter

log = logging.getLogger(__name__)

#: fp32 weights + gradients + AdamW's two moments (torch autocast keeps fp32 master weights)
STATE_BYTES_PER_PARAM = 16
#: AdamW per step reads param, grad and two moments and writes param and moments (7 x 4 bytes)
OPTIMIZER_BYTES_PER_PARAM = 28
#: compulsory state traffic: forward and backward read the weights, backward writes the grads
WEIGHT_PASS_BYTES_PER_PARAM = 12
#: launches of torch.optim.AdamW's multi-tensor path per step (about ten _foreach_ ops) + loss
OPTIMIZER_KERNELS = 12
#: fused cuDNN/MIOpen RNN kernels per recurrent layer and step (forward + backward)
RNN_KERNELS_PER_LAYER = 6
#: 16-bit autocast: activation traffic is 0.5-1.0x the fp32 census (nominal 0.6)
HALF_PRECISION_FACTORS = (0.5, 0.6, 1.0)
#: activation *memory* (what must fit) as (low, nominal, high) multiples of the tensors counted
#: as saved for backward, by precision class. The count is an upper bound: fused kernels (cuDNN,
#: flash / memory-efficient attention) save less than the eager ops counted on meta. The
#: published corpus proves it: every published batch trained on its GPU, so the factor can be
#: at most (usable memory - state) / (counted bytes x batch) for each figure; the smallest such
#: bound is 0.74 for fp32/TF32 (BERT-large, SQuAD, RTX 3090) and 0.38 for 16-bit (BERT-base,
#: SQuAD, RTX 3090), 0.47-0.49 for GPT and CNNs (``tests`` recompute these from the corpus;
#: memory sizes in GiB, ``accelerators.binary_memory``).
#: Low: below every bound (a "does not fit" must hold even then); nominal: the typical 16-bit
#: bound's half-way; high: the count itself (fp32) or 0.7 of it (16-bit: autocast keeps
#: softmax, norms and the loss in fp32).
ACTIVATION_MEMORY_FACTORS = {"full": (0.6, 1.0, 1.0), "half": (0.3, 0.45, 0.7)}


def activation_memory(counted_bytes: float, half: bool) -> Band:
    """Activation memory (bytes) of a step whose saved tensors count ``counted_bytes`` (fp32)."""
    lo, nom, hi = ACTIVATION_MEMORY_FACTORS["half" if half else "full"]
    return Band(counted_bytes * lo, counted_bytes * nom, counted_bytes * hi)

_CACHE: dict[tuple[Any, ...], tuple[float, float, float, float]] = {}
Counts = tuple[float, float, float, float]  # kernels, bytes moved, activation bytes, recurrent layers


@dataclass(frozen=True)
class StepFacts:
    """Per-step facts of a run. Bytes are per step; a None figure is unknown (n/a)."""

    flops: float | None
    samples: int
    batch_size: int
    params: int
    state_bytes: float
    activation_bytes: Band | None
    bytes_moved: Band
    kernels: float | None
    how: tuple[str, ...]

    @property
    def working_set_bytes(self) -> float:
        """Weights, gradients, optimizer state and (nominal) activations held during a step."""
        return self.state_bytes + (self.activation_bytes.nominal if self.activation_bytes else 0.0)

    def activations_per_sample(self) -> Band | None:
        if self.activation_bytes is None or self.batch_size <= 0:
            return None
        return self.activation_bytes.scale(1.0 / self.batch_size)


class _Census(TorchDispatchMode):
    """Counts non-view ops and the bytes of their tensors (meta tensors: no data)."""

    def __init__(self) -> None:
        super().__init__()
        self.kernels = 0
        self.bytes = 0.0

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        if getattr(func, "is_view", False) or func is torch.ops.aten.detach.default:
            return out
        self.kernels += 1
        for item in tree_flatten((args, kwargs or {}, out))[0]:
            if isinstance(item, torch.Tensor):
                self.bytes += item.numel() * item.element_size()
        return out


def _replay(workload: Workload, size: str, batch: int | None, knobs: Mapping[str, int],
            channels_last: bool) -> tuple[float, float, float, float]:
    """(kernels, bytes moved, activation bytes, fused-RNN layer count) of one fwd+bwd."""
    with torch.random.fork_rng(devices=[]), torch.device("meta"):
        built = workload.build("meta", size, batch, knobs, channels_last)
    model = built.model.train()
    meter = SavedTensorMeter(model)
    rnn_layers = sum(getattr(m, "num_layers", 1) * (2 if getattr(m, "bidirectional", False) else 1)
                     for m in model.modules() if isinstance(m, torch.nn.RNNBase))
    rnn_fwd = _Census()  # nested inside the census: sees the recurrent layers' forward ops too

    def enter(*_: Any) -> None:
        rnn_fwd.__enter__()

    def leave(*_: Any) -> None:
        rnn_fwd.__exit__(None, None, None)

    rnns = [m for m in model.modules() if isinstance(m, torch.nn.RNNBase)]
    hooks = [m.register_forward_pre_hook(enter) for m in rnns] + [m.register_forward_hook(leave) for m in rnns]
    inputs, targets = built.make_batch()
    census = _Census()
    with meter, census:
        loss = built.loss_fn(model(inputs), targets)
    forward_kernels = census.kernels
    with census:
        loss.backward()
    for hook in hooks:
        hook.remove()
    kernels = float(census.kernels)
    if rnn_layers and forward_kernels:
        # cuDNN runs each recurrent layer as a few fused kernels, not one per time step
        rnn_share = min(1.0, rnn_fwd.kernels / forward_kernels)
        kernels = kernels * (1 - rnn_share) + RNN_KERNELS_PER_LAYER * rnn_layers
    return kernels, census.bytes, float(meter.total_bytes), float(rnn_layers)


def replay_counts(workload: Workload, size: str, batch: int | None, knobs: Mapping[str, Any],
                  channels_last: bool = False) -> Counts:
    """(kernels, bytes moved, activation bytes, recurrent layers) per fwd+bwd step; a knob the
    step is affine in (``flops_affine_knob``) is replayed at 2 and 3 and extrapolated."""
    resolved = workload.resolve_knobs(size, knobs)
    key = (workload.name, size, batch, tuple(sorted(resolved.items())), channels_last)
    if key not in _CACHE:
        affine = getattr(workload, "flops_affine_knob", None)
        if affine is None or resolved[affine] <= 3:
            _CACHE[key] = _replay(workload, size, batch, resolved, channels_last)
        else:
            a2, a3 = (_replay(workload, size, batch, {**resolved, affine: n}, channels_last) for n in (2, 3))
            n = resolved[affine]
            counts = tuple(x2 + (n - 2) * (x3 - x2) for x2, x3 in zip(a2[:3], a3[:3], strict=True))
            kernels = counts[0]
            if a2[3]:  # recurrent: the fused kernels do not grow with the sequence
                kernels = a2[0]
            _CACHE[key] = (kernels, counts[1], counts[2], a2[3])
    return _CACHE[key]


def builtin_workload(run: RunResult) -> Workload | None:
    """The built-in workload a run trained, or None (a user's own model)."""
    return None if run.spec.model else WORKLOADS.get(run.spec.workload)


def step_facts(run: RunResult) -> StepFacts:
    """Per-step facts of a run (built-in: replayed on meta; else from params)."""
    params = int(run.params or 0)
    batch = int(run.batch_size or 0)
    samples = int(run.samples_per_step or batch or 0)
    flops = run.flops_per_step if run.flops_per_step and run.flops_per_step > 0 else None
    precision = run.spec.precision or "fp32"
    half = precision in ("bf16", "fp16")
    state_traffic = (OPTIMIZER_BYTES_PER_PARAM + WEIGHT_PASS_BYTES_PER_PARAM) * params
    how = [f"state: {STATE_BYTES_PER_PARAM} bytes/parameter (fp32 weights, gradients, AdamW's 2 moments)"]
    workload = builtin_workload(run)
    counts = None
    if workload is not None:
        try:
            counts = replay_counts(workload, run.spec.size or "S", batch or None, dict(run.spec.knobs),
                                   run.spec.channels_last)
        except (WorkloadError, RuntimeError, TypeError, ValueError) as exc:
            log.warning("could not replay %s on meta: %s", workload.name, exc)
            how.append(f"meta replay failed ({exc}); traffic from parameters only")
    if counts is None:
        moved = Band.exact(state_traffic)
        how.append("traffic: parameters only (activations unknown: a lower bound); launches unknown")
        return StepFacts(flops, samples, batch, params, STATE_BYTES_PER_PARAM * params, None, moved, None,
                         tuple(how))
    kernels, op_bytes, saved, _recurrent = counts
    lo, nom, hi = HALF_PRECISION_FACTORS if half else (1.0, 1.0, 1.0)
    activations = activation_memory(saved, half)
    upper = op_bytes + OPTIMIZER_BYTES_PER_PARAM * params
    compulsory = min(state_traffic + 2 * saved * lo, upper * lo)
    # caches catch part of the re-reads the census counts: nominal between the two bounds
    nominal = max(compulsory, (compulsory * upper * nom) ** 0.5)
    how.append("traffic: op census on the meta device (each op's inputs + outputs, no cache reuse, no fusion) "
               f"+ AdamW {OPTIMIZER_BYTES_PER_PARAM} bytes/parameter is the high end; the compulsory traffic "
               "(state read and written once, activations written and read once) the low; nominal: their "
               "geometric mean")
    moved = Band(compulsory, min(nominal, upper * hi), upper * hi)
    how.append("activations: tensors saved for backward at this batch (meta replay)")
    how.append(f"launches: {kernels:.0f} per step (meta replay, + {OPTIMIZER_KERNELS} for AdamW)")
    if half:
        how.append("16-bit autocast: activations and traffic taken as 0.5-1.0x the fp32 census (nominal 0.6)")
    return StepFacts(flops, samples, batch, params, STATE_BYTES_PER_PARAM * params, activations, moved,
                     kernels + OPTIMIZER_KERNELS, tuple(how))
