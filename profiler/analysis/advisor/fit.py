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

On top of the ridge model each GPU architecture gets an offset, each of its product lines
(GeForce, or professional and data-centre) a second one around it, each GPU a third and each
GPU at each precision class a fourth (random effects shrunk toward 0, see ``Efficiency`` and
``OFFSET_LEVELS``), learnt from the figures in the fit: in the back-test
a GPU's figures of other models or other sources stay in the fit, the figures predicted never
do. (The precision level exists because a part can sustain its FP32 peak and not its 16-bit
tensor peak: the Turing Quadros' full-rate FP32-accumulate figure is one; it took 3 GPU rank
settings of 36 from below 0.9 in each regime. The architecture level is what a GPU the corpus
lacks inherits from its siblings: in the leave-one-GPU-out back-test it took the share inside
the band from 81% to 83%, the median band from 2.27x to 2.16x and the GPU rank settings at 0.9
from 26 to 28 of 38. The product-line level is what a left-out GeForce part inherits from the
other GeForce parts of its generation rather than from the A100s and RTX A-series beside them:
GeForce tensor cores run FP32-accumulate at half rate, so their datasheet peak relates to what
they sustain differently. On the 418-row corpus it took the leave-one-GPU-out settings ranked
at 0.9 or above from 23 to 29 of 38 and its median band from 2.16x to 2.09x.) The ridge
penalty and the offset shrinkage (``Hyper``) are chosen per fit from ``HYPER_GRID`` by
cross-validation on that fit's own figures (``choose_hyper``), so in the back-test they too
are chosen without the figures being predicted (nested cross-validation).

Features are standardised on the rows fitted; an unknown (NaN) feature is taken at its fitted
mean. (FLOPs per kernel and the release year were tried as features and dropped: both made
the back-test worse. So were the software's age, years from the GPU's release or from 2019 to
the figure's publication: with the GPU offsets in place each moved the back-test by under a
point either way; and the board's TDP per peak TFLOP/s, or its TDP alone: no regime gained.) Pure numpy, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from profiler.analysis.advisor.architecture import product_line
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
BACKFIT_ROUNDS = 3
#: how compute and memory time combine in the roof: a 2-norm (partial overlap). A structural
#: choice, made once by comparing 1 (no overlap), 2 and inf (the classic roofline's perfect
#: overlap) on the back-test: 2 covered more figures in both regimes. (Choosing it per fold by
#: cross-validation, like the ridge penalty, gave narrower bands that covered less: a choice
#: among very different roofs makes the selected fit's own residuals optimistic.)
ROOF_NORM = 2.0
PRECISION_CLASSES = ("fp32", "tf32", "half")
#: cross-validation regimes: a model the corpus lacks, a corpus model measured by another
#: source, and a GPU the corpus lacks (the back-tested ones); and a kind of model the corpus
#: lacks (bands only)
NEW_MODEL, KNOWN_MODEL, NEW_GPU, NEW_FAMILY = "new model", "known model", "new GPU", "new family"
REGIMES = (NEW_MODEL, KNOWN_MODEL, NEW_GPU)


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
    """The case's roof (``NoFigure`` when the device lacks the peak or the bandwidth): the
    compute time and the memory time of a step combined as a ``ROOF_NORM``-norm
    (``(c**2 + m**2) ** 0.5``; inf would be the classic roofline's max, 1 their sum)."""
    f = case.facts
    peak = peak_for(case.device, case.precision, f.conv_share, case.matmul_tf32)
    bw = case.device.bandwidth_bytes_per_s
    if bw is None:
        raise NoFigure("n/a: no memory bandwidth figure for this device")
    act = (f.activation_bytes_per_sample or 0.0) * (HALF_ACTIVATION_FACTOR if case.precision in HALF else 1.0)
    step_bytes = PARAM_TRAFFIC_BYTES * f.params + 2.0 * act * case.batch
    compute_s = f.flops_per_sample * case.batch / peak.flops_per_s
    memory_s = step_bytes / bw.value
    longer = max(compute_s, memory_s)
    step_s = longer if longer == 0 else longer * (
        (compute_s / longer) ** ROOF_NORM + (memory_s / longer) ** ROOF_NORM) ** (1.0 / ROOF_NORM)
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
class Hyper:
    """The fit's two hyper-parameters: ``penalty`` on every standardised slope, and ``shrink``
    pseudo-figures at offset 0 that pull each GPU's own mean residual toward 0."""

    penalty: float
    shrink: float

    @property
    def label(self) -> str:
        return f"ridge penalty {self.penalty:g}, GPU offset shrinkage {self.shrink:g}"


#: the hyper-parameters tried; each fit takes the one with the smallest cross-validated error
#: on its own training figures (``choose_hyper``), never on the figures it will predict
HYPER_GRID = tuple(Hyper(p, k) for p in (0.3, 3.0, 30.0) for k in (0.25, 2.0, 16.0))


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


class _Design:
    """The standardised design of one fit at one ridge penalty, factorised once: backfitting
    re-solves it each round, and every offset shrinkage tried at that penalty shares it."""

    def __init__(self, x: np.ndarray, penalty: float) -> None:
        known = ~np.isnan(x)
        counts = known.sum(axis=0)
        filled = np.where(known, x, 0.0)
        self.mean = np.divide(filled.sum(axis=0), counts, out=np.zeros(x.shape[1]), where=counts > 0)
        spread = np.where(known, x - self.mean, 0.0)
        scale = np.sqrt(np.divide((spread ** 2).sum(axis=0), counts, out=np.zeros(x.shape[1]), where=counts > 0))
        self.scale = np.where(scale < 1e-12, 1.0, scale)
        z = np.nan_to_num((x - self.mean) / self.scale, nan=0.0)  # an unknown feature sits at its mean
        self.m = np.hstack([np.ones((z.shape[0], 1)), z])
        gram = self.m.T @ self.m + np.diag([0.0] + [penalty] * z.shape[1])  # the intercept is not shrunk
        # y -> [intercept, coefficients]: the normal equations solved once for every right-hand side
        self.solver = np.linalg.solve(gram, self.m.T)

    def solve(self, y: np.ndarray) -> Ridge:
        solution = self.solver @ y
        return Ridge(self.mean, self.scale, solution[1:], float(solution[0]))

    def fitted(self, ridge: Ridge) -> np.ndarray:
        return self.m @ np.concatenate([[ridge.intercept], ridge.coef])


@dataclass(frozen=True)
class Sample:
    """A corpus figure ready to fit: its case, roof, features, log efficiency (measured / roof),
    group (the model with its knobs), row id, published figure and source."""

    case: Case
    roof: Roof
    x: np.ndarray
    log_efficiency: float
    group: str
    row_id: str
    samples_per_s: float
    source: str = ""

    @classmethod
    def of(cls, case: Case, samples_per_s: float, group: str, row_id: str, source: str = "") -> Sample:
        """``NoFigure`` when the device lacks a figure the roof needs."""
        roof = roof_of(case)
        return cls(case, roof, features(case, roof), math.log(samples_per_s / roof.rate), group, row_id,
                   samples_per_s, source)

    def key(self, regime: str) -> str:
        """What a cross-validation fold leaves out: the model (``NEW_MODEL``), the model's
        figures from one source (``KNOWN_MODEL``: the same network measured elsewhere stays in),
        every figure of its GPU (``NEW_GPU``: its offsets go with them) or every model of its
        family (``NEW_FAMILY``)."""
        if regime == NEW_FAMILY:
            return self.case.family or "no family"
        if regime == NEW_GPU:
            return self.case.device.id
        return self.group if regime == NEW_MODEL else f"{self.group}|{self.source}"


def architecture_key(case: Case, roof: Roof) -> str:
    """The GPU's architecture (``architecture``); a GPU of none known is its own group."""
    return case.device.architecture or f"no architecture: {case.device.id}"


def gpu_key(case: Case, roof: Roof) -> str:
    """The GPU a figure ran on."""
    return case.device.id


def gpu_precision_key(case: Case, roof: Roof) -> str:
    """The GPU and the precision class of the peak used (``PRECISION_CLASSES``): a part's
    16-bit tensor peak can be further from what it sustains than its FP32 one (a Turing
    Quadro's full-rate FP32-accumulate tensor peak is one)."""
    return f"{case.device.id}|{roof.peak.kind}"


def product_line_key(case: Case, roof: Roof) -> str:
    """The GPU's architecture and product line (``architecture.product_line``): GeForce parts,
    whose tensor cores run FP32-accumulate at half rate, apart from the professional and
    data-centre ones."""
    return f"{architecture_key(case, roof)}|{product_line(case.device.name)}"


#: the random effects on top of the ridge model, outermost first: each architecture's offset,
#: each of its product lines' around it, each GPU's around that, then each GPU and precision
#: class's; each level shrunk toward 0 by ``Hyper.shrink``. A GPU the corpus lacks has only its
#: architecture's and its product line's.
OFFSET_LEVELS = (architecture_key, product_line_key, gpu_key, gpu_precision_key)


@dataclass(frozen=True)
class Efficiency:
    """The fitted log efficiency: the ridge model plus shrunk offsets (random effects) per
    ``OFFSET_LEVELS``: the mean residual of an architecture's figures, then of its product
    line's, then of a GPU's around that, then of that GPU's figures at one precision class,
    each shrunk toward 0 by
    ``Hyper.shrink`` pseudo-figures, so a GPU that trains faster or slower than its datasheet
    says across the models it was measured on carries that to a model it was not, and a GPU
    the fit never saw carries its siblings'. A group the fit never saw gets no offset at that
    level."""

    ridge: Ridge
    offsets: tuple[Mapping[str, float], ...]
    hyper: Hyper

    def offset(self, case: Case, roof: Roof) -> float:
        """The summed offsets of ``case`` (log efficiency)."""
        return sum(level.get(key(case, roof), 0.0) for level, key in zip(self.offsets, OFFSET_LEVELS, strict=True))

    def predict_case(self, case: Case) -> tuple[Roof, float]:
        """The case's roof and the predicted efficiency (a fraction of it)."""
        roof = roof_of(case)
        return roof, math.exp(float(self.ridge.predict(features(case, roof))[0]) + self.offset(case, roof))


def _row_offsets(offsets: Sequence[np.ndarray], levels: Sequence[np.ndarray], skip: int | None = None) -> np.ndarray:
    """Each row's offsets summed over the levels (all but ``skip``), in log efficiency; row
    ``i`` of level ``l`` takes ``offsets[l][levels[l][i]]``."""
    total = np.zeros(len(levels[0]))
    for level, (offset, index) in enumerate(zip(offsets, levels, strict=True)):
        if level != skip:
            total += offset[index]
    return total


def _fit(x: np.ndarray, y: np.ndarray, levels: Sequence[np.ndarray], sizes: Sequence[int],
         hyper: Hyper, design: _Design | None = None) -> tuple[Ridge, list[np.ndarray]]:
    """Ridge plus one set of shrunk offsets per level (``OFFSET_LEVELS``; row ``i`` of level
    ``l`` takes offset ``levels[l][i]``), by backfitting; ``design``: ``x`` already factorised
    at ``hyper.penalty``."""
    design = design if design is not None else _Design(x, hyper.penalty)
    ridge = design.solve(y)
    offsets = [np.zeros(n) for n in sizes]
    if math.isinf(hyper.shrink):
        return ridge, offsets
    counts = [np.bincount(index, minlength=n) for index, n in zip(levels, sizes, strict=True)]
    for _ in range(BACKFIT_ROUNDS):
        for level, (index, n) in enumerate(zip(levels, sizes, strict=True)):
            rest = y - design.fitted(ridge) - _row_offsets(offsets, levels, skip=level)
            offsets[level] = np.bincount(index, weights=rest, minlength=n) / (counts[level] + hyper.shrink)
        ridge = design.solve(y - _row_offsets(offsets, levels))
    return ridge, offsets


@dataclass(frozen=True)
class _Table:
    """Samples as arrays: features, log efficiencies and, per offset level, each row's index
    into that level's ``names``."""

    x: np.ndarray
    y: np.ndarray
    levels: tuple[np.ndarray, ...]
    names: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, samples: Sequence[Sample]) -> _Table:
        levels, names = [], []
        for key in OFFSET_LEVELS:
            keys = [key(s.case, s.roof) for s in samples]
            level_names = tuple(sorted(set(keys)))
            where = {n: i for i, n in enumerate(level_names)}
            levels.append(np.array([where[k] for k in keys], dtype=int))
            names.append(level_names)
        return cls(np.vstack([s.x for s in samples]), np.array([s.log_efficiency for s in samples]),
                   tuple(levels), tuple(names))

    def _fit_rows(self, rows: np.ndarray, hyper: Hyper,
                  design: _Design | None = None) -> tuple[Ridge, list[np.ndarray]]:
        return _fit(self.x[rows], self.y[rows], [index[rows] for index in self.levels],
                    [len(n) for n in self.names], hyper, design)

    def residuals(self, folds: np.ndarray, hyper: Hyper) -> np.ndarray:
        """Log residuals of every row predicted by a fit without its fold (NaN: no fit)."""
        return self.residuals_per_hyper(folds, (hyper,))[hyper]

    def residuals_per_hyper(self, folds: np.ndarray, hypers: Sequence[Hyper]) -> dict[Hyper, np.ndarray]:
        """``residuals`` for each of ``hypers``; each fold is factorised once per ridge penalty."""
        out = {hyper: np.full(len(self.y), np.nan) for hyper in hypers}
        for fold in np.unique(folds):
            test = folds == fold
            train = ~test
            if train.sum() < 2:
                continue
            designs: dict[float, _Design] = {}
            for hyper in hypers:
                design = designs.get(hyper.penalty)
                if design is None:
                    design = designs[hyper.penalty] = _Design(self.x[train], hyper.penalty)
                ridge, offsets = self._fit_rows(train, hyper, design)
                out[hyper][test] = (self.y[test] - ridge.predict(self.x[test])
                                    - _row_offsets(offsets, [index[test] for index in self.levels]))
        return out


def fit_samples(samples: Sequence[Sample], hyper: Hyper) -> Efficiency:
    """Ridge plus offsets per ``OFFSET_LEVELS``, fitted by backfitting (``BACKFIT_ROUNDS``)."""
    table = _Table.of(samples)
    ridge, offsets = table._fit_rows(np.ones(len(table.y), dtype=bool), hyper)
    named = tuple({} if math.isinf(hyper.shrink) else dict(zip(names, o.tolist(), strict=True))
                  for names, o in zip(table.names, offsets, strict=True))
    return Efficiency(ridge, named, hyper)


def _folds(samples: Sequence[Sample], regime: str) -> np.ndarray:
    keys = [s.key(regime) for s in samples]
    where = {k: i for i, k in enumerate(sorted(set(keys)))}
    return np.array([where[k] for k in keys], dtype=int)


def _paired(samples: Sequence[Sample], residuals: np.ndarray) -> list[tuple[Sample, float]]:
    return [(s, float(r)) for s, r in zip(samples, residuals, strict=True) if not math.isnan(r)]


def cross_validate(samples: Sequence[Sample], regime: str, hyper: Hyper) -> list[tuple[Sample, float]]:
    """(sample, log(measured / predicted)) for each sample, predicted by a fit (at ``hyper``)
    without its fold (``Sample.key(regime)``)."""
    return _paired(samples, _Table.of(samples).residuals(_folds(samples, regime), hyper))


def choose_hyper(samples: Sequence[Sample], regime: str) -> tuple[Hyper, list[tuple[Sample, float]]]:
    """The ``HYPER_GRID`` entry with the smallest mean squared cross-validated log error on
    ``samples`` in ``regime``, with its residuals (the evidence a band is taken from)."""
    table, folds = _Table.of(samples), _folds(samples, regime)
    best: tuple[float, Hyper, np.ndarray] | None = None
    for hyper, residuals in table.residuals_per_hyper(folds, HYPER_GRID).items():
        if np.isnan(residuals).all():
            continue
        score = float(np.nanmean(residuals ** 2))
        if best is None or score < best[0]:
            best = (score, hyper, residuals)
    if best is None:
        raise ValueError("too few figures to cross-validate the fit")
    return best[1], _paired(samples, best[2])
