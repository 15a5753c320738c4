"""The fitted GPU efficiency model with bands from out-of-sample error, ready to predict.

``GpuModel.build(corpus, facts)`` turns each published figure into a ``fit.Sample`` (its
model's counted facts from ``model_facts``; a figure whose model was not counted is left out
and named). For each regime it picks the hyper-parameters by that regime's cross-validation,
fits all figures, and keeps the cross-validated residuals as the evidence for bands: for
every model of the corpus, the model is fitted without any figure of it and its figures are
predicted (the ``NEW_MODEL`` regime: a model the corpus lacks); for every model and source,
that source's figures of the model are predicted without them (the ``KNOWN_MODEL`` regime:
the network is in the corpus, measured by someone else); for every GPU, its figures are
predicted without any of them (the ``NEW_GPU`` regime: a GPU the corpus lacks, such as an RTX
5090, whose band is the wider of this and its model's); and for a model of a kind the corpus
lacks, every family is predicted without any of its models (``NEW_FAMILY``). The band of a
prediction is the ``BAND_QUANTILES`` of its regime's log residuals (all precisions together:
bands per precision class were tried and covered less out of sample, being drawn from fewer
figures), so a band is as wide as the evidence says. The back-test (``backtest``) runs this
very procedure on each fold's training figures. Pure given its inputs.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from profiler.analysis.advisor.architecture import product_line
from profiler.analysis.advisor.bands import Band
from profiler.analysis.advisor.corpus import CorpusRow
from profiler.analysis.advisor.fit import (
    KNOWN_MODEL,
    NEW_FAMILY,
    NEW_GPU,
    NEW_MODEL,
    REGIMES,
    Case,
    Efficiency,
    Roof,
    Sample,
    choose_hyper,
    cross_validate,
    fit_samples,
)
from profiler.analysis.advisor.hardware import HardwareDevice
from profiler.analysis.advisor.model_facts import ModelFacts
from profiler.analysis.advisor.roofline import NoFigure

#: the band: these quantiles of the out-of-sample log residuals (a nominal 85% interval; chosen
#: over 80% because an 80% band's coverage sits on the 80% target by construction)
BAND_QUANTILES = (0.075, 0.925)
#: families by a model reference's words (a user's model whose name says nothing: no family)
_FAMILY_WORDS = (
    ("depthwise_cnn", r"mobilenet|efficientnet|mnasnet|ghostnet|convnext|regnet|shufflenet|xception"),
    ("vit", r"\bvit\b|vit[-_]|deit|swin|beit|dinov2"),
    ("bert", r"bert|roberta|electra|albert|deberta|xlm"),
    ("gpt", r"gpt|llama|mistral|opt-|\bopt\b|bloom|falcon|qwen|phi|gemma|pythia|\bgpt\b"),
    ("lstm", r"lstm|\brnn\b|gru"),
    ("cnn", r"resnet|resnext|vgg|alexnet|densenet|inception|ssd|unet|\bcnn\b|yolo"),
)


def family_of(ref: str) -> str | None:
    """The corpus family a model reference names (``hf:microsoft/resnet-50`` -> cnn), or None."""
    text = ref.lower()
    for family, pattern in _FAMILY_WORDS:
        if re.search(pattern, text):
            return family
    return None


def sample_of(row: CorpusRow, facts: ModelFacts) -> Sample | None:
    """A corpus row as a fit sample (None when the device lacks a figure the roof needs)."""
    case = Case(row.device, row.precision, facts, row.batch, row.family, row.matmul_tf32)
    try:
        return Sample.of(case, row.samples_per_s, row.model_key, row.id, row.source)
    except NoFigure:
        return None


def band_from(residuals: Sequence[float]) -> tuple[float, float]:
    """(low, high) factors on a prediction from log residuals (measured / predicted)."""
    lo, hi = np.quantile(np.array(residuals), BAND_QUANTILES)
    return math.exp(min(0.0, float(lo))), math.exp(max(0.0, float(hi)))


@dataclass(frozen=True)
class GpuPrediction:
    """``untested``: why this figure's error was never measured (a vendor the corpus has no
    figure of: the back-test cannot say how far off it is), or ""."""

    roof: Roof
    samples_per_s: Band
    efficiency: Band
    source: str
    untested: str = ""


@dataclass(frozen=True)
class RegimeFit:
    """The fit used for one regime: its hyper-parameters (chosen by that regime's
    cross-validation on the fitted figures), the efficiency model, and the cross-validated log
    residuals its bands come from."""

    efficiency: Efficiency
    residuals: tuple[float, ...]


@dataclass(frozen=True)
class GpuModel:
    """The fitted model per regime, the corpus models (a prediction for one of them takes the
    ``KNOWN_MODEL`` fit and band), the families fitted (a model of another family, or of no
    known family, takes the ``NEW_FAMILY`` band: leave-one-family-out errors) and what was
    left out."""

    samples: tuple[Sample, ...]
    fits: Mapping[str, RegimeFit]
    family_residuals: tuple[float, ...]
    left_out: tuple[str, ...] = ()
    gpu_residuals: tuple[float, ...] = ()  # leave-one-GPU-out errors: the band of a GPU the corpus lacks

    @classmethod
    def build(cls, corpus: Sequence[CorpusRow], facts: Mapping[str, ModelFacts]) -> GpuModel:
        samples, left_out = samples_of(corpus, facts)
        return cls.from_samples(samples, REGIMES, left_out)

    @classmethod
    def from_samples(cls, samples: Sequence[Sample], regimes: Sequence[str] = REGIMES,
                     left_out: Sequence[str] = ()) -> GpuModel:
        """Fit ``samples`` for each of ``regimes``: hyper-parameters by that regime's
        cross-validation on ``samples`` alone, then the fit on all of them."""
        if len({s.group for s in samples}) < 3:
            raise ValueError("the corpus has fewer than 3 usable models")
        fits = {}
        for regime in regimes:
            hyper, residuals = choose_hyper(samples, regime)
            fits[regime] = RegimeFit(fit_samples(samples, hyper), tuple(r for _, r in residuals))
        base = fits.get(NEW_MODEL, next(iter(fits.values()))).efficiency.hyper
        families = cross_validate(samples, NEW_FAMILY, base) if len(_families(samples)) > 1 else []
        if NEW_GPU in fits:
            gpus = fits[NEW_GPU].residuals
        else:
            several = len({s.case.device.id for s in samples}) > 1
            gpus = tuple(r for _, r in cross_validate(samples, NEW_GPU, base)) if several else ()
        return cls(tuple(samples), fits, tuple(r for _, r in families), tuple(left_out), tuple(gpus))

    # what the corpus holds: read on every prediction, so worked out once per model
    @functools.cached_property
    def models(self) -> frozenset[str]:
        return frozenset(s.group for s in self.samples)

    @functools.cached_property
    def families(self) -> frozenset[str]:
        return _families(self.samples)

    @functools.cached_property
    def devices(self) -> frozenset[str]:
        """The GPUs the corpus has figures of (catalogue ids)."""
        return frozenset(s.case.device.id for s in self.samples)

    @functools.cached_property
    def vendors(self) -> frozenset[str]:
        return frozenset(s.case.device.vendor for s in self.samples)

    def siblings(self, architecture: str | None) -> tuple[str, ...]:
        """The corpus GPUs of ``architecture`` (names, sorted); none for an unknown one."""
        if not architecture:
            return ()
        return tuple(sorted({s.case.device.name for s in self.samples if s.case.device.architecture == architecture}))

    def regime_for(self, model_key: str | None, family: str | None) -> str:
        """``KNOWN_MODEL`` for a corpus model, ``NEW_FAMILY`` for a model of a family the
        corpus lacks (or of none it can name), else ``NEW_MODEL``."""
        if model_key is not None and model_key in self.models and KNOWN_MODEL in self.fits:
            return KNOWN_MODEL
        if family not in self.families and self.family_residuals:
            return NEW_FAMILY
        return NEW_MODEL

    def band_factors(self, regime: str) -> tuple[tuple[float, float], str]:
        """(low, high) factors of ``regime``'s band and the words that say where they come from."""
        chosen = {NEW_FAMILY: self.family_residuals, NEW_GPU: self.gpu_residuals}.get(regime)
        chosen = self._fit(regime).residuals if chosen is None else chosen
        q = "-".join(f"{p * 100:g}" for p in BAND_QUANTILES)
        fold = {NEW_MODEL: "leave-one-model-out",
                KNOWN_MODEL: "leave-one-source-out (this model is in the corpus; each source's figures of it left out)",
                NEW_GPU: "leave-one-GPU-out (a GPU the corpus lacks: every figure of it left out)",
                NEW_FAMILY: "leave-one-family-out (a kind of model the corpus lacks)"}[regime]
        return band_from(chosen), f"band: {q}th percentile of {len(chosen)} {fold} errors"

    def _fit(self, regime: str) -> RegimeFit:
        return self.fits.get(regime) or self.fits.get(NEW_MODEL) or next(iter(self.fits.values()))

    def _kin(self, device: HardwareDevice) -> str:
        """What a GPU the corpus lacks inherits: its architecture's offset and its product
        line's, from which GPUs."""
        siblings = self.siblings(device.architecture)
        if siblings:
            line = product_line(device.name)
            same_line = [name for name in siblings if product_line(name) == line]
            text = f"with the offset of its architecture ({device.architecture}: {_few(siblings)} in the corpus)"
            return text + (f" and of its {line} parts ({_few(same_line)})" if same_line
                           else f"; no {line} part of it is in the corpus")
        if device.architecture:
            return f"no {device.architecture} GPU is in the corpus: no architecture offset"
        return "its architecture is not known: no architecture offset"

    def predict(self, case: Case, model_key: str | None = None) -> GpuPrediction:
        """The case's samples/s band (``NoFigure`` when the device lacks a figure); the regime
        (``regime_for``) picks the fit and the band. A GPU the corpus lacks takes the
        ``NEW_GPU`` fit (when there is one) and, side by side, the wider of its model regime's
        band and the leave-one-GPU-out band (their combination is not measured: neither is
        narrower than the evidence); a vendor the corpus lacks is named."""
        regime = self.regime_for(model_key, case.family)
        unseen = case.device.id not in self.devices and bool(self.gpu_residuals)
        fit = self.fits.get(NEW_GPU, self._fit(regime)) if unseen else self._fit(regime)
        roof, nominal = fit.efficiency.predict_case(case)
        (low, high), how = self.band_factors(regime)
        if unseen:
            (gpu_low, gpu_high), gpu_how = self.band_factors(NEW_GPU)
            low, high = min(low, gpu_low), max(high, gpu_high)
            how = (f"a GPU the corpus lacks, so the wider, side by side, of two bands: {how}; "
                   f"{gpu_how}; {self._kin(case.device)}")
        untested = ""
        if case.device.vendor not in self.vendors:
            how += (f"; no {case.device.vendor} GPU is in the corpus: projected at the efficiency "
                    f"{', '.join(sorted(self.vendors))} GPUs reach, which its software stack may not")
            untested = (f"no {case.device.vendor} GPU is in the published corpus, so how far off this "
                        f"projection may be was never measured")
        efficiency = Band(nominal * low, nominal, nominal * high)
        source = (f"corpus model: efficiency fitted to {len(self.samples)} published GPU training figures "
                  f"({len(self.models)} models; {fit.efficiency.hyper.label}, chosen by cross-validation); {how}")
        return GpuPrediction(roof, efficiency.scale(roof.rate), efficiency, source, untested)


def _few(names: Sequence[str]) -> str:
    """Up to four names, then how many more."""
    return ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")


def _families(samples: Sequence[Sample]) -> frozenset[str]:
    return frozenset(s.case.family for s in samples if s.case.family is not None)


def samples_of(corpus: Sequence[CorpusRow], facts: Mapping[str, ModelFacts]) -> tuple[list[Sample], list[str]]:
    """Fit samples of the corpus rows, and the ids left out with why."""
    samples, left_out = [], []
    for row in corpus:
        counted = facts.get(row.model_key)
        if counted is None:
            left_out.append(f"{row.id}: {row.model_key} not counted (bench/count_corpus_models.py)")
            continue
        sample = sample_of(row, counted)
        if sample is None:
            left_out.append(f"{row.id}: {row.device.name} has no {row.precision} peak or bandwidth figure")
            continue
        samples.append(sample)
    return samples, left_out
