"""The GPU efficiency model: how close to its roofline a GPU trains a model, fitted to the corpus.

Predicted samples/s = efficiency x roof rate, where the roof rate is the slower of the compute
roof (FLOPs per sample at the precision's peak, ``precision.peak_for``) and the memory roof
(parameter traffic per step, which does not grow with the batch, plus activation traffic,
which does, over the device's bandwidth). ``log(efficiency)`` is a ridge-regularised linear
model (numpy least squares; every coefficient but the intercept shrunk toward zero, i.e.
each group toward the overall mean) over:

- the device: log peak FLOP/s at the precision, log machine balance (bytes/s per FLOP/s),
  consumer or datacenter part;
- the precision class: plain FP32, TF32 or 16-bit;
- the model: family (cnn, depthwise_cnn, vit, bert, gpt, lstm), log FLOPs per sample,
  log parameters, log arithmetic intensity of the step (FLOPs / bytes), log batch;
- the roof's step time (log of batch / roof rate, seconds): a fixed cost per step (kernel
  launches, the optimizer, Python) is a larger share of a short step, so a fast GPU at a small
  batch runs further below its roof than a slow one.

On top of the ridge model each GPU gets an offset (a random effect shrunk toward 0, see
``Efficiency``) learnt from that GPU's figures in the fit: in the back-test a GPU's figures of
other models or other sources stay in the fit, the figures predicted never do. The shrinkage
``DEVICE_SHRINK`` = 4 was chosen with the back-test in view (1, 2, 4, 8 tried; 2 to 8 give
the same picture within a point or two), not by an inner cross-validation.

Features are standardised on the rows fitted; an unknown (NaN) feature is taken at its fitted
mean. (FLOPs per kernel and the release year were tried as features and dropped: both made
the back-test worse.) Pure numpy, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from profiler.analysis.advisor.corpus import FAMILIES
from profiler.analysis.advisor.hardware import HardwareDevice
from profiler.analysis.advisor.model_facts import ModelFacts
from profiler.analysis.advisor.precision import HALF, Peak, peak_for
from profiler.analysis.advisor.roofline import NoFigure

#: bytes per parameter moved per step whatever the batch: fp32 weights read by forward and
#: backward, gradients written (12) and AdamW reading param, grad and two moments and writing
#: param and moments (28); the same figures as the step census (``census``)
PARAM_TRAFFIC_BYTES = 40.0
#: 16-bit autocast keeps about 0.6x the fp32 activation bytes (``census.HALF_PRECISION_FACTORS``)
HALF_ACTIVATION_FACTOR = 0.6
#: ridge penalty on standardised features (chosen once, by the leave-one-model-out back-test)
RIDGE = 1.0
#: pseudo-figures at offset 0 that shrink a GPU's own mean residual (inf: no per-GPU offset)
DEVICE_SHRINK = 4.0
BACKFIT_ROUNDS = 3
PRECISION_CLASSES = ("fp32", "tf32", "half")
#: cross-validation regimes: a model the corpus lacks, or a corpus model measured by another source
NEW_MODEL, KNOWN_MODEL = "new model", "known model"
REGIMES = (NEW_MODEL, KNOWN_MODEL)


@dataclass(frozen=True)
class Case:
    """One model at one batch and precision on one GPU."""

    device: HardwareDevice
    precision: str
    facts: ModelFacts
    batch: int
    family: str | None = None
    matmul_tf32: bool = False


@dataclass(frozen=True)
class Roof:
    """The roofline of a case: the peak used, the roof rate (samples/s) and what bounds it."""

    peak: Peak
    bandwidth_bytes_per_s: float
    rate: float
    bound: str
    intensity: float  # FLOPs per byte of the step


def roof_of(case: Case) -> Roof:
    """The case's roofline (``NoFigure`` when the device lacks the peak or the bandwidth)."""
    f = case.facts
    peak = peak_for(case.device, case.precision, f.conv_share, case.matmul_tf32)
    bw = case.device.bandwidth_bytes_per_s
    if bw is None:
        raise NoFigure("n/a: no memory bandwidth figure for this device")
    act = (f.activation_bytes_per_sample or 0.0) * (HALF_ACTIVATION_FACTOR if case.precision in HALF else 1.0)
    step_bytes = PARAM_TRAFFIC_BYTES * f.params + 2.0 * act * case.batch
    compute_s = f.flops_per_sample * case.batch / peak.flops_per_s
    memory_s = step_bytes / bw.value
    step_s = max(compute_s, memory_s)
    return Roof(peak, bw.value, case.batch / step_s, "compute" if compute_s >= memory_s else "memory",
                f.flops_per_sample * case.batch / step_bytes)


def features(case: Case, roof: Roof) -> np.ndarray:
    """The feature vector of a case (see the module doc for the order)."""
    f = case.facts
    peak = roof.peak.flops_per_s
    onehot_precision = [1.0 if roof.peak.kind == k else 0.0 for k in PRECISION_CLASSES[1:]]
    onehot_family = [1.0 if case.family == k else 0.0 for k in FAMILIES]
    return np.array([
        math.log(peak / 1e12), math.log(roof.bandwidth_bytes_per_s / peak),
        1.0 if case.device.device_class == "consumer-gpu" else 0.0,
        *onehot_precision, *onehot_family,
        math.log(f.flops_per_sample), math.log(max(f.params, 1)), math.log(roof.intensity), math.log(case.batch),
        math.log(case.batch / roof.rate),
    ])


@dataclass(frozen=True)
class Ridge:
    """A fitted ridge model: ``y = intercept + ((x - mean) / scale) . coef``."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predictions for rows of ``x``; a NaN feature (unknown) is taken at its fitted mean."""
        z = (np.atleast_2d(x) - self.mean) / self.scale
        return self.intercept + np.nan_to_num(z, nan=0.0) @ self.coef


def fit_ridge(x: np.ndarray, y: np.ndarray, penalty: float = RIDGE) -> Ridge:
    """Least squares of ``y`` on standardised ``x`` with ``penalty`` on every slope."""
    known = ~np.isnan(x)
    counts = known.sum(axis=0)
    filled = np.where(known, x, 0.0)
    mean = np.divide(filled.sum(axis=0), counts, out=np.zeros(x.shape[1]), where=counts > 0)
    spread = np.where(known, x - mean, 0.0)
    scale = np.sqrt(np.divide((spread ** 2).sum(axis=0), counts, out=np.zeros(x.shape[1]), where=counts > 0))
    scale = np.where(scale < 1e-12, 1.0, scale)
    z = np.nan_to_num((x - mean) / scale, nan=0.0)  # an unknown feature sits at its mean
    n, k = z.shape
    a = np.vstack([np.hstack([np.ones((n, 1)), z]),
                   np.hstack([np.zeros((k, 1)), math.sqrt(penalty) * np.eye(k)])])
    b = np.concatenate([y, np.zeros(k)])
    solution, *_ = np.linalg.lstsq(a, b, rcond=None)
    return Ridge(mean, scale, solution[1:], float(solution[0]))


@dataclass(frozen=True)
class Sample:
    """A corpus figure ready to fit: its case, roof, features, log efficiency and its group."""

    case: Case
    roof: Roof
    x: np.ndarray
    log_efficiency: float
    group: str   # the model with its knobs
    row_id: str
    samples_per_s: float
    source: str = ""

    def key(self, regime: str) -> str:
        """What a cross-validation fold leaves out: the model (``NEW_MODEL``), or the model's
        figures from one source (``KNOWN_MODEL``: the same network measured elsewhere stays in)."""
        return self.group if regime == NEW_MODEL else f"{self.group}|{self.source}"


@dataclass(frozen=True)
class Efficiency:
    """The fitted log efficiency: the ridge model plus a per-GPU offset (a random effect: the
    mean residual of that GPU's figures, shrunk toward 0 by ``DEVICE_SHRINK`` pseudo-figures),
    so a GPU that trains faster or slower than its datasheet says across the models it was
    measured on carries that to a model it was not. A GPU the fit never saw gets no offset."""

    ridge: Ridge
    offsets: Mapping[str, float]

    def predict(self, x: np.ndarray, device_id: str) -> float:
        return float(self.ridge.predict(x)[0]) + self.offsets.get(device_id, 0.0)


def fit_samples(samples: Sequence[Sample], penalty: float = RIDGE, shrink: float | None = None) -> Efficiency:
    """Ridge plus per-GPU offsets, fitted by backfitting (``BACKFIT_ROUNDS`` alternations)."""
    shrink = DEVICE_SHRINK if shrink is None else shrink
    x = np.vstack([s.x for s in samples])
    y = np.array([s.log_efficiency for s in samples])
    devices = [s.case.device.id for s in samples]
    offsets: dict[str, float] = {}
    ridge = fit_ridge(x, y, penalty)
    if math.isinf(shrink):
        return Efficiency(ridge, offsets)
    for _ in range(BACKFIT_ROUNDS):
        residual = y - ridge.predict(x)
        sums: dict[str, list[float]] = {}
        for device, r in zip(devices, residual, strict=True):
            sums.setdefault(device, []).append(float(r))
        offsets = {d: sum(v) / (len(v) + shrink) for d, v in sums.items()}
        ridge = fit_ridge(x, y - np.array([offsets[d] for d in devices]), penalty)
    return Efficiency(ridge, offsets)


def out_of_group_residuals(samples: Sequence[Sample], regime: str,
                           penalty: float = RIDGE) -> list[tuple[Sample, float]]:
    """(sample, log(measured / predicted)) for each sample, predicted by a fit without its
    fold (``Sample.key(regime)``)."""
    out = []
    for group in sorted({s.key(regime) for s in samples}):
        train = [s for s in samples if s.key(regime) != group]
        test = [s for s in samples if s.key(regime) == group]
        if len(train) < 2:
            continue
        model = fit_samples(train, penalty)
        for s in test:
            out.append((s, s.log_efficiency - model.predict(s.x, s.case.device.id)))
    return out
