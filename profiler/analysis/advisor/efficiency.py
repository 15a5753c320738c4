"""How close to its roofline a device runs a step: measured, calibrated, or a stated prior.

A measured run gives its device's efficiency = roofline time / measured step time (one
number that holds every loss: kernel quality, clocks, overheads). On an accelerator a run
whose launches alone explain half its step time is launch-bound: it calibrates the cost per
kernel launch instead. ``choose`` picks, for a target device, the best-founded efficiency:

1. the subject run's own, when the target is the same CPU part or a slice of it;
2. runs of the same model measured on other devices of the target's family;
3. the subject run's own, when its device is of the target's family (CPU to CPU, GPU to GPU);
4. runs of other models measured on the target's family;
5. the literature prior of the family (``PRIORS``), whose source is stated.

CUDA/ROCm GPUs are not chosen here: the efficiency model fitted to published measurements
(``gpu_model``) projects them, with bands from its out-of-sample error.

Each step widens the band by a stated factor; every choice says where it came from. Only
measurements of the target's precision count (an fp32 run says nothing about AMX bf16).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from profiler.analysis.advisor.bands import Band
from profiler.analysis.advisor.census import StepFacts, step_facts
from profiler.analysis.advisor.hardware import HardwareDevice
from profiler.analysis.advisor.roofline import NoFigure, roof
from profiler.analysis.advisor.soundness import unsound_reason
from profiler.metrics.comparison import model_title
from profiler.results.result import RunResult

#: band factors on a measured efficiency, by how far the projection reaches (from the
#: back-test on this machine: bench/advisor_backtest.py, see docs/advisor.md)
SAME_PART = (0.6, 1.45)      # same CPU part, other cores / batch / width / workload
SAME_MODEL = (0.75, 1.3)     # this model, measured on another device of the family
SAME_FAMILY = (0.4, 1.8)     # own efficiency carried to another device of the family
OTHER_MODELS = (0.5, 1.6)    # other models measured on the family
LAUNCH_BOUND_SHARE = 0.5     # launches >= half the step time: the run is launch-bound


@dataclass(frozen=True)
class Prior:
    efficiency: Band
    per_kernel_s: Band | None
    source: str


_LAUNCH = Band(3e-6, 6e-6, 15e-6)
_LAUNCH_SOURCE = ("launch cost 3-15 us per eager op (host dispatch + kernel launch; order of magnitude from "
                  "H. He, 'Making Deep Learning Go Brrrr From First Principles', 2022, https://horace.io/brrr_intro.html)")
_GPU_SOURCE = ("literature prior: tuned large-model training reaches 38-43% MFU (Llama 3 on H100, arXiv:2407.21783), "
               "46% (PaLM on TPU v4, arXiv:2204.02311) to 56% (Megatron-LM on A100, arXiv:2205.05198); small models "
               "in eager PyTorch reach far less, hence the band 10-55%")
PRIORS: dict[str, Prior] = {
    "apple-gpu": Prior(Band(0.05, 0.20, 0.45), Band(5e-6, 10e-6, 25e-6),
                       "literature prior: no published MFU for PyTorch on MPS; taken below the CUDA prior "
                       f"(Metal command encoding costs more per op); {_LAUNCH_SOURCE}"),
    "tpu": Prior(Band(0.10, 0.35, 0.60), _LAUNCH, f"{_GPU_SOURCE}; assumes a PyTorch path to the chip (torch_xla)"),
    "other": Prior(Band(0.05, 0.25, 0.50), _LAUNCH, f"{_GPU_SOURCE}; widened: no PyTorch training data for this class"),
    "cpu": Prior(Band(0.10, 0.30, 0.60), None,
                 "project prior (FIELD_NOTES): built-in workloads reach 60-70% of a torch.mm peak on 2 threads and "
                 "torch.mm reaches about 40% of a Zen 5's FMA peak, so about 25-45% of hardware peak; oneDNN "
                 "convolutions reach 95%"),
}
#: where one precision runs far from the family's usual share of its peak
PRECISION_PRIORS: dict[tuple[str, str], Prior] = {
    ("cpu", "bf16"): Prior(Band(0.01, 0.05, 0.40), None,
                           "project prior: a 1-thread bf16 2048^3 matmul reached 404 GFLOP/s on an AMX Xeon, 10% of "
                           "its 3.9 TFLOP/s tile peak (measured 2026-12-01, busy machine); Zen 5's AVX512_BF16 path "
                           "reaches about 90% of its peak (FIELD_NOTES): training steps reach less, hence 1-40%"),
}


def launch_cost(family: str) -> Band | None:
    """The prior cost of one kernel launch on a family (None on CPUs: their efficiency holds it);
    CUDA/ROCm GPUs share the accelerator figure (their efficiency comes from ``gpu_model``)."""
    if family == "gpu":
        return _LAUNCH
    return PRIORS.get(family, PRIORS["other"]).per_kernel_s


def prior_for(family: str, precision: str) -> Prior:
    return PRECISION_PRIORS.get((family, precision)) or PRIORS.get(family, PRIORS["other"])


@dataclass(frozen=True)
class Point:
    """A measured run on a catalogue device: its roofline efficiency or its launch cost."""

    run_id: str
    origin: str  # "subject", "history" or "reference"
    device: HardwareDevice
    model_key: str
    precision: str
    step_time_s: float
    samples_per_s: float
    efficiency: float | None
    per_kernel_s: float | None
    facts: StepFacts


@dataclass(frozen=True)
class Choice:
    """An efficiency (fraction of the roof) with where it came from; ``untested``: why its
    error was never measured ("" when the back-test measured it)."""

    efficiency: Band
    per_kernel_s: Band | None
    basis: str  # own, calibrated, prior
    source: str
    points: tuple[str, ...] = ()
    untested: str = ""


def model_key(run: RunResult) -> str:
    """Model, batch and precision: runs with the same key trained the same step."""
    return f"{model_title({'spec': run.spec.to_dict()})} bs{run.batch_size} {run.spec.precision}"


def measure_point(run: RunResult, device: HardwareDevice, origin: str,
                  facts: StepFacts | None = None) -> Point | None:
    """The efficiency (or launch cost) a measured run shows on ``device``; None if unusable."""
    samples_per_s = run.samples_per_s
    if unsound_reason(run) is not None or not samples_per_s:
        return None  # failed, partial, too few steps or on a busy machine: calibrates nothing
    facts = facts or step_facts(run)
    if not facts.samples:
        return None
    step_s = facts.samples / samples_per_s
    precision = run.spec.precision or "fp32"
    try:
        ideal = roof(facts, device, precision).ideal_s.nominal
    except NoFigure:
        return None
    launch = launch_cost(device.family)
    efficiency: float | None = ideal / step_s
    per_kernel = None
    if not device.is_cpu and facts.kernels and launch is not None:
        if facts.kernels * launch.nominal >= LAUNCH_BOUND_SHARE * step_s:
            efficiency, per_kernel = None, step_s / facts.kernels
    return Point(run.run_id, origin, device, model_key(run), precision, step_s, samples_per_s, efficiency,
                 per_kernel, facts)


def _spread(values: Sequence[float], factors: tuple[float, float]) -> Band:
    mid = statistics.median(values)
    return Band(min(values) * factors[0], mid, max(values) * factors[1])


def _base(device_id: str) -> str:
    return device_id.split("@", 1)[0]


def _launch(points: Sequence[Point], family: str) -> tuple[Band | None, str]:
    costs = [p.per_kernel_s for p in points if p.per_kernel_s and p.device.family == family]
    if costs:
        return _spread(costs, (0.7, 1.4)), f"launch cost from {len(costs)} launch-bound run(s)"
    return launch_cost(family), ""


def choose(target: HardwareDevice, subject: Point | None, points: Sequence[Point], key: str,
           precision: str | None = None) -> Choice:
    """The efficiency for ``target`` at ``precision`` (default: the subject's; see the module
    doc for the order). Measurements of one precision never stand in for another."""
    family = target.family
    precision = precision or (subject.precision if subject is not None else "fp32")
    if subject is not None and subject.precision != precision:
        subject = None
    points = [p for p in points if p.precision == precision]
    per_kernel, launch_note = _launch([*points, *([subject] if subject else [])], family)

    def made(band: Band, basis: str, source: str, used: Sequence[Point]) -> Choice:
        note = f"; {launch_note}" if launch_note else ""
        return Choice(band, per_kernel, basis, source + note, tuple(p.run_id for p in used))

    own = subject.efficiency if subject is not None else None
    if subject is not None and own and _base(subject.device.id) == _base(target.id):
        return made(Band.around(own, *SAME_PART), "own", f"own efficiency {own:.0%} on this part "
                    f"(run {subject.run_id})", [subject])
    fellows = [p for p in points
               if p.efficiency and p.device.family == family and _base(p.device.id) != _base(target.id)]
    same_model = [p for p in fellows if p.model_key == key]
    if same_model:
        values = [p.efficiency for p in same_model if p.efficiency]
        return made(_spread(values, SAME_MODEL), "calibrated", f"calibrated: {len(values)} run(s) of this model "
                    f"on {', '.join(sorted({p.device.name for p in same_model}))}", same_model)
    if subject is not None and own and subject.device.family == family:
        return made(Band.around(own, *SAME_FAMILY), "own", f"own efficiency {own:.0%} on {subject.device.name}, "
                    f"carried to another {family} device", [subject])
    if fellows:
        values = [p.efficiency for p in fellows if p.efficiency]
        return made(_spread(values, OTHER_MODELS), "calibrated", f"calibrated: {len(values)} run(s) of other "
                    f"models on {family} devices", fellows)
    prior = prior_for(family, precision)
    return made(prior.efficiency, "prior", prior.source, [])
