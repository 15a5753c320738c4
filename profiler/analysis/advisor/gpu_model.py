"""The fitted GPU efficiency model with bands from out-of-sample error, ready to predict.

``GpuModel.build(corpus, facts)`` turns each published figure into a ``fit.Sample`` (its
model's counted facts from ``model_facts``; a figure whose model was not counted is left out
and named), fits the ridge model to all of them, and takes the band from leave-one-model-out
residuals: for every model of the corpus, the model is fitted without any figure of it and
its figures are predicted (the ``NEW_MODEL`` regime: a model the corpus lacks); and for every
model and source, that source's figures of the model are predicted without them (the
``KNOWN_MODEL`` regime: the network is in the corpus, measured by someone else). The band of
a prediction is the ``BAND_QUANTILES`` of its regime's log residuals (of the prediction's
precision class where it has ``MIN_CLASS_RESIDUALS``, else of all), so a band is as wide as
the evidence says. Pure given its inputs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from profiler.analysis.advisor.bands import Band
from profiler.analysis.advisor.corpus import CorpusRow
from profiler.analysis.advisor.fit import (
    KNOWN_MODEL,
    NEW_MODEL,
    REGIMES,
    RIDGE,
    Case,
    Efficiency,
    Roof,
    Sample,
    features,
    fit_samples,
    out_of_group_residuals,
    roof_of,
)
from profiler.analysis.advisor.model_facts import ModelFacts
from profiler.analysis.advisor.roofline import NoFigure

#: the band: these quantiles of the out-of-sample log residuals (a nominal 85% interval; chosen
#: over 80% because an 80% band's coverage sits on the 80% target by construction)
BAND_QUANTILES = (0.075, 0.925)
#: residuals a precision class needs before it gets its own band
MIN_CLASS_RESIDUALS = 15
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
        roof = roof_of(case)
    except NoFigure:
        return None
    return Sample(case, roof, features(case, roof), math.log(row.samples_per_s / roof.rate), row.model_key,
                  row.id, row.samples_per_s, row.source)


def band_from(residuals: Sequence[float]) -> tuple[float, float]:
    """(low, high) factors on a prediction from log residuals (measured / predicted)."""
    lo, hi = np.quantile(np.array(residuals), BAND_QUANTILES)
    return math.exp(min(0.0, float(lo))), math.exp(max(0.0, float(hi)))


@dataclass(frozen=True)
class GpuPrediction:
    roof: Roof
    samples_per_s: Band
    efficiency: Band
    source: str


@dataclass(frozen=True)
class GpuModel:
    """The fitted model, its out-of-sample residuals by regime and precision class, the corpus
    models (a prediction for one of them takes the ``KNOWN_MODEL`` band) and what was left out."""

    efficiency: Efficiency
    samples: tuple[Sample, ...]
    residuals: Mapping[str, Mapping[str, tuple[float, ...]]]
    left_out: tuple[str, ...]

    @classmethod
    def build(cls, corpus: Sequence[CorpusRow], facts: Mapping[str, ModelFacts],
              penalty: float = RIDGE) -> GpuModel:
        samples, left_out = samples_of(corpus, facts)
        if len({s.group for s in samples}) < 3:
            raise ValueError("the corpus has fewer than 3 usable models")
        residuals: dict[str, dict[str, tuple[float, ...]]] = {}
        for regime in REGIMES:
            by_class: dict[str, list[float]] = {"all": []}
            for sample, residual in out_of_group_residuals(samples, regime, penalty):
                by_class["all"].append(residual)
                by_class.setdefault(sample.roof.peak.kind, []).append(residual)
            residuals[regime] = {k: tuple(v) for k, v in by_class.items()}
        return cls(fit_samples(samples, penalty), tuple(samples), residuals, tuple(left_out))

    @property
    def models(self) -> frozenset[str]:
        return frozenset(s.group for s in self.samples)

    def band_factors(self, regime: str, precision_class: str) -> tuple[tuple[float, float], str]:
        table = self.residuals[regime]
        own = table.get(precision_class, ())
        chosen = own if len(own) >= MIN_CLASS_RESIDUALS else table["all"]
        scope = f"{precision_class} figures" if chosen is own else "all figures"
        q = "-".join(f"{p * 100:g}" for p in BAND_QUANTILES)
        fold = ("leave-one-model-out" if regime == NEW_MODEL
                else "leave-one-source-out (this model is in the corpus; each source's figures of it left out)")
        return band_from(chosen), f"band: {q}th percentile of {len(chosen)} {fold} errors ({scope})"

    def predict(self, case: Case, model_key: str | None = None) -> GpuPrediction:
        """The case's samples/s band (``NoFigure`` when the device lacks a figure); a corpus
        model (``model_key``) gets the known-model band, any other the new-model band."""
        roof = roof_of(case)
        nominal = math.exp(self.efficiency.predict(features(case, roof), case.device.id))
        regime = KNOWN_MODEL if model_key is not None and model_key in self.models else NEW_MODEL
        (low, high), how = self.band_factors(regime, roof.peak.kind)
        efficiency = Band(nominal * low, nominal, nominal * high)
        source = (f"corpus model: efficiency fitted to {len(self.samples)} published GPU training figures "
                  f"({len(self.models)} models); {how}")
        return GpuPrediction(roof, efficiency.scale(roof.rate), efficiency, source)


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
