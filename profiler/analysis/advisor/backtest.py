"""``horsepower advise --backtest``: how good the GPU advice is, measured out of sample.

Three regimes, as a user meets them (``fit.REGIMES``):

- new model (leave-one-model-out): for every model of the corpus, the efficiency model is
  fitted without any figure of that model (all its GPUs, batches, precisions and sources) and
  predicts each of them: a network the corpus has never seen;
- known model (leave-one-source-out): for every model and source, that source's figures of the
  model are predicted by a fit without them; the same network measured by another source stays
  in: the user's model is in the corpus (ResNet-50, BERT...);
- new GPU (leave-one-GPU-out): every figure of one GPU is predicted by a fit without any figure
  of that GPU (its offsets go too): a GPU the corpus lacks (an RTX 5090, an L40S).

Each fold runs the advice's own procedure on the other folds' figures (``GpuModel``): the
hyper-parameters are chosen and the band is taken from a cross-validation of those figures
alone (a second level), so the figure predicted is in neither the fit, its hyper-parameters
nor its band. A model of a family the training figures lack (GNMT, the corpus' only LSTM, in
the new-model regime) takes the leave-one-family-out band, as advice for such a model does.

Reported per regime: the share of figures inside their band, the median |error|
(|predicted / published - 1|), the median band width (high / low) and the Spearman rank
correlation of GPUs per model, precision, source and software stack (``CorpusRow.stack``: the
GPU is then the one thing that differs) with 3 or more distinguishable GPUs; and, for every
pair of GPUs of a setting, how often the faster projection was the faster published figure by
how far apart the two were projected (``pair_orders``: the advice calls two GPUs projected
closer than that evidence can order too close to call).
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from typing import Any

import numpy as np

from profiler.analysis.advisor.corpus import CorpusRow
from profiler.analysis.advisor.fit import KNOWN_MODEL, NEW_GPU, NEW_MODEL
from profiler.analysis.advisor.gpu_model import GpuModel, samples_of
from profiler.analysis.advisor.model_facts import ModelFacts

#: the issue's targets: share inside the band, median |error|, median band width, rank correlation
TARGETS = {"inside_band": 0.80, "median_abs_error": 0.25, "median_band_width": 2.5, "rank_correlation": 0.9}
MIN_GPUS_FOR_RANK = 3
METHODS = {NEW_MODEL: "leave-one-model-out", KNOWN_MODEL: "leave-one-source-out per model",
           NEW_GPU: "leave-one-GPU-out"}
#: the case each regime stands for, in a buyer's words
CASES = {NEW_MODEL: "a model the corpus lacks", KNOWN_MODEL: "a model the corpus has, measured by another source",
         NEW_GPU: "a GPU the corpus lacks"}


@dataclass(frozen=True)
class Score:
    """One back-test figure beside its target, as shown: ``value`` "84%", ``target`` ">= 80%"."""

    name: str
    value: str
    target: str
    met: bool


@dataclass(frozen=True)
class Scorecard:
    """A regime's back-test as one row of "How good is this advice": the case it stands for,
    what it predicted, its four scores (inside the band, median error, band width, GPU order)
    and how often two GPUs' projections were in the published order, by how far apart."""

    regime: str
    case: str
    figures: int
    models: int
    gpus: int
    scores: tuple[Score, ...]
    orders: tuple[PairOrder, ...]

    @property
    def title(self) -> str:
        return title(self.regime)


@dataclass(frozen=True)
class Figure:
    """One published figure predicted out of sample."""

    row_id: str
    model: str
    precision: str
    batch: int
    device: str
    published: float
    predicted: float
    low: float
    high: float
    peak_label: str
    key: str   # the model with its knobs (one network at one input size), the source and its software stack
    chip: str  # GPUs with the same peak and bandwidth (to 2 digits) cannot be told apart

    @property
    def inside(self) -> bool:
        return self.low <= self.published <= self.high

    @property
    def error(self) -> float:
        return self.predicted / self.published - 1.0


@dataclass(frozen=True)
class RankSetting:
    """GPUs of one model setting (model, precision, source, software stack) ordered by
    prediction and by the published figures: Spearman's rho, and each pair the prediction
    swaps with the published gap between them ("A100 bs12 vs Titan V bs12: published 1.06x
    apart")."""

    setting: str
    gpus: int
    spearman: float
    swaps: tuple[str, ...] = ()
    largest_swapped_gap: float | None = None  # the widest published gap among ``swaps`` (x)


@dataclass(frozen=True)
class Backtest:
    regime: str
    figures: tuple[Figure, ...]
    ranks: tuple[RankSetting, ...]
    left_out: tuple[str, ...]

    @property
    def inside_band(self) -> float:
        return sum(f.inside for f in self.figures) / len(self.figures)

    @property
    def median_abs_error(self) -> float:
        return statistics.median(abs(f.error) for f in self.figures)

    @property
    def median_band_width(self) -> float:
        return statistics.median(f.high / f.low for f in self.figures)

    @functools.cached_property
    def pair_orders(self) -> tuple[PairOrder, ...]:
        """How often two GPUs' projections were in the published order, by how far apart
        (computed once: every advice and quality line reads it)."""
        return pair_orders(self.figures)

    @property
    def worst_rank(self) -> float | None:
        return min((r.spearman for r in self.ranks), default=None)

    @property
    def median_rank(self) -> float | None:
        values = [r.spearman for r in self.ranks]
        return statistics.median(values) if values else None

    def summary(self) -> dict[str, Any]:
        worst = self.worst_rank
        values = {"inside_band": self.inside_band, "median_abs_error": self.median_abs_error,
                  "median_band_width": self.median_band_width, "rank_correlation": worst}
        met = {"inside_band": self.inside_band >= TARGETS["inside_band"],
               "median_abs_error": self.median_abs_error <= TARGETS["median_abs_error"],
               "median_band_width": self.median_band_width <= TARGETS["median_band_width"],
               # one swap of neighbours among 5 GPUs is exactly 0.9: compare with a rounding margin
               "rank_correlation": worst is not None and worst >= TARGETS["rank_correlation"] - 1e-9}
        at_target = sum(r.spearman >= TARGETS["rank_correlation"] - 1e-9 for r in self.ranks)
        return {"regime": self.regime, "figures": len(self.figures), "models": len({f.model for f in self.figures}),
                "rank_settings": len(self.ranks), "rank_settings_at_target": at_target,
                "gpus": len({f.device for f in self.figures}), "values": values,
                "median_rank_correlation": self.median_rank, "targets": TARGETS, "met": met}

    def scorecard(self) -> Scorecard:
        """The four figures against their targets, formatted once for every view."""
        s = self.summary()
        v, met, t = s["values"], s["met"], s["targets"]
        scores = (
            Score("inside their band", f"{v['inside_band']:.0%}", f">= {t['inside_band']:.0%}", met["inside_band"]),
            Score("median error", f"{v['median_abs_error']:.0%}", f"<= {t['median_abs_error']:.0%}",
                  met["median_abs_error"]),
            Score("median band", f"{v['median_band_width']:.2f}x", f"<= {t['median_band_width']}x",
                  met["median_band_width"]),
            Score("GPU order", f"{s['rank_settings_at_target']} of {s['rank_settings']}",
                  f"every setting >= {t['rank_correlation']}", met["rank_correlation"]),
        )
        return Scorecard(self.regime, f"{CASES.get(self.regime, self.regime)} ({METHODS.get(self.regime, '')})",
                         s["figures"], s["models"], s["gpus"], scores, self.pair_orders)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Backtest:
        """The inverse of ``to_dict`` (``KeyError``/``TypeError``/``ValueError`` when malformed)."""
        names = [f.name for f in dataclass_fields(Figure)]
        figures = tuple(Figure(**{k: f[k] for k in names}) for f in data["figures"])
        ranks = tuple(RankSetting(str(r["setting"]), int(r["gpus"]), float(r["spearman"]),
                                  tuple(str(x) for x in r.get("swaps") or ()),
                                  None if r.get("largest_swapped_gap") is None else float(r["largest_swapped_gap"]))
                      for r in data["ranks"])
        return cls(str(data["regime"]), figures, ranks, tuple(str(x) for x in data["left_out"]))

    def to_dict(self) -> dict[str, Any]:
        method = METHODS.get(self.regime, self.regime)
        return {"regime": self.regime, "method": f"{method} (fit and band both without the figures predicted)",
                "summary": self.summary(),
                "pair_order": [{"low": o.low, "high": None if math.isinf(o.high) else o.high, "pairs": o.pairs,
                                "in_order": o.in_order} for o in self.pair_orders],
                "ranks": [{"setting": r.setting, "gpus": r.gpus, "spearman": r.spearman, "swaps": list(r.swaps),
                           "largest_swapped_gap": r.largest_swapped_gap} for r in self.ranks],
                "figures": [{**f.__dict__, "inside": f.inside, "error": f.error} for f in self.figures],
                "left_out": list(self.left_out)}


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman's rank correlation (average ranks for ties)."""
    def ranks(values: Sequence[float]) -> np.ndarray:
        order = np.argsort(values, kind="stable")
        r = np.empty(len(values))
        r[order] = np.arange(len(values), dtype=float)
        arr = np.asarray(values)
        for v in set(values):
            tie = arr == v
            r[tie] = r[tie].mean()
        return r
    ra, rb = ranks(a), ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return 1.0 if ra.std() == rb.std() else 0.0
    return float(np.corrcoef(ra, rb)[0, 1])


def run_backtest(corpus: Sequence[CorpusRow], facts: Mapping[str, ModelFacts], regime: str = NEW_MODEL) -> Backtest:
    """Out-of-sample predictions of every usable corpus figure in ``regime`` (module doc): each
    fold's figures are predicted by ``GpuModel.from_samples`` of the other folds' figures, the
    same procedure (hyper-parameters, fit, band) that advice runs on the whole corpus."""
    samples, left_out = samples_of(corpus, facts)
    rows = {r.id: r for r in corpus}
    figures: list[Figure] = []
    for group in sorted({s.key(regime) for s in samples}):
        train = [s for s in samples if s.key(regime) != group]
        if len({s.group for s in train}) < 3:
            continue
        model = GpuModel.from_samples(train, (regime,))
        for s in (s for s in samples if s.key(regime) == group):
            band = model.predict(s.case, s.group).samples_per_s
            row = rows[s.row_id]
            figures.append(Figure(s.row_id, row.model, row.precision, row.batch, row.device.name, s.samples_per_s,
                                  band.nominal, band.low, band.high, s.roof.peak.label,
                                  f"{s.group}|{s.source}|{row.stack}",
                                  f"{s.roof.peak.flops_per_s:.2g}/{s.roof.bandwidth_bytes_per_s:.2g}"))
    if not figures:
        raise ValueError("the corpus has no figure that can be predicted out of sample")
    return Backtest(regime, tuple(figures), tuple(gpu_ranks(figures)), tuple(left_out))


@dataclass(frozen=True)
class _Entry:
    """One GPU of a rank setting: its figures at its largest batch, and their geometric means."""

    figure: Figure
    predicted: float
    published: float


def _settings(figures: Sequence[Figure]) -> dict[tuple[str, str, str], list[_Entry]]:
    """The figures per model (with its knobs), source with its software stack, and precision;
    GPUs the catalogue cannot tell apart (the same peak and bandwidth to 2 digits: V100 SXM2 16
    and 32 GB) are one entry, which enters at its largest batch (the batch a buyer would train
    with there), several figures at that batch with their geometric mean."""
    grouped: dict[tuple[str, str, str], dict[str, list[Figure]]] = {}
    for f in figures:
        grouped.setdefault((f.model, f.key, f.precision), {}).setdefault(f.chip, []).append(f)
    settings = {}
    for setting, by_gpu in sorted(grouped.items()):
        entries = []
        for fs in by_gpu.values():
            largest = [f for f in fs if f.batch == max(g.batch for g in fs)]
            entries.append(_Entry(largest[0], float(np.exp(np.mean([np.log(f.predicted) for f in largest]))),
                                  float(np.exp(np.mean([np.log(f.published) for f in largest])))))
        settings[setting] = entries
    return settings


def gpu_ranks(figures: Sequence[Figure]) -> list[RankSetting]:
    """Spearman correlation of the GPUs' order, predicted versus published, per model (with its
    knobs: one input size), source, software stack and precision (``_settings``: one source's
    figures on two stacks, such as ryujaehun's A100 on NGC 20.10 and its other GPUs on PyTorch
    1.4, differ by more than the GPU); settings with fewer than ``MIN_GPUS_FOR_RANK`` GPUs are
    skipped."""
    ranks = []
    for (model, key, precision), entries in _settings(figures).items():
        if len(entries) < MIN_GPUS_FOR_RANK:
            continue
        _, source, stack = key.split("|")[-3:]
        swaps, gaps = [], []
        for i, a in enumerate(entries):
            for b in entries[i + 1:]:
                if (a.predicted - b.predicted) * (a.published - b.published) < 0:
                    gap = max(a.published, b.published) / min(a.published, b.published)
                    swaps.append(f"{a.figure.device} bs{a.figure.batch} vs {b.figure.device} bs{b.figure.batch}: "
                                 f"published {gap:.2f}x apart")
                    gaps.append(gap)
        ranks.append(RankSetting(f"{model} {precision} ({source}, {stack})", len(entries),
                                 spearman([e.predicted for e in entries], [e.published for e in entries]),
                                 tuple(swaps), max(gaps, default=None)))
    return ranks


@dataclass(frozen=True)
class PairOrder:
    """Pairs of GPUs of one setting whose projections are ``low``-``high`` x apart (the faster
    over the slower), and how many of them the projections put in the published order."""

    low: float
    high: float
    pairs: int
    in_order: int

    @property
    def share(self) -> float:
        return self.in_order / self.pairs

    @property
    def span(self) -> str:
        """The bin's gaps in words: "1.1-1.2x", "1.5x or more"."""
        return f"{self.low:.1f}x or more" if math.isinf(self.high) else f"{self.low:.1f}-{self.high:.1f}x"

    @property
    def label(self) -> str:
        return f"projected {self.span} apart: {self.in_order} of {self.pairs} in the published order ({self.share:.0%})"


#: the projected gaps (x) the pairs are binned by
PAIR_GAP_EDGES = (1.0, 1.1, 1.2, 1.3, 1.5, math.inf)
#: a pair of GPUs is too close to call when pairs projected that far apart were in the
#: published order less often than this in the back-test
CLOSE_CALL_SHARE = 0.8


def pair_orders(figures: Sequence[Figure]) -> tuple[PairOrder, ...]:
    """Every pair of GPUs within a setting (``_settings``; two GPUs are enough), binned by how
    far apart they were projected (``PAIR_GAP_EDGES``): how often the faster projection was
    the faster published figure. Empty bins are left out."""
    counts = [[0, 0] for _ in PAIR_GAP_EDGES[1:]]
    for entries in _settings(figures).values():
        for i, a in enumerate(entries):
            for b in entries[i + 1:]:
                gap = max(a.predicted, b.predicted) / min(a.predicted, b.predicted)
                slot = next(k for k, high in enumerate(PAIR_GAP_EDGES[1:]) if gap < high)
                counts[slot][0] += 1
                counts[slot][1] += (a.predicted - b.predicted) * (a.published - b.published) > 0
    return tuple(PairOrder(PAIR_GAP_EDGES[k], PAIR_GAP_EDGES[k + 1], n, right)
                 for k, (n, right) in enumerate(counts) if n)


@dataclass(frozen=True)
class OrderEvidence:
    """How often two GPUs' projections were in the published order, by how far apart: from the
    back-test of the model's regime when both GPUs are in the corpus (``seen_gpus``), else from
    the leave-one-GPU-out back-test (a GPU the corpus lacks is ordered less reliably)."""

    seen_gpus: frozenset[str]
    seen: tuple[PairOrder, ...]
    unseen: tuple[PairOrder, ...]

    def orders_for(self, a: str, b: str) -> tuple[PairOrder, ...]:
        """The evidence for GPUs ``a`` and ``b`` (catalogue ids)."""
        both_seen = a in self.seen_gpus and b in self.seen_gpus
        return self.seen if both_seen or not self.unseen else self.unseen


def order_grid(cards: Sequence[Scorecard]) -> tuple[tuple[str, ...], tuple[tuple[PairOrder | None, ...], ...]]:
    """The projected-gap bins any of ``cards`` has (``PairOrder.span``), and each card's pair
    order in each bin (None: it had no pairs that far apart): the rows of a table."""
    spans = tuple(dict.fromkeys(o.span for card in cards for o in card.orders))
    grid = []
    for card in cards:
        by_span = {o.span: o for o in card.orders}
        grid.append(tuple(by_span.get(span) for span in spans))
    return spans, tuple(grid)


def title(regime: str) -> str:
    """A regime as a heading: "New model", "New GPU"."""
    return regime[:1].upper() + regime[1:]


def order_at(orders: Sequence[PairOrder], gap: float) -> PairOrder | None:
    """The bin of ``orders`` a pair projected ``gap`` x apart falls in (None: no evidence)."""
    return next((o for o in orders if o.low <= gap < o.high), None)


def render_backtest(result: Backtest) -> str:
    """The back-test as a text table (the CLI; docs/advisor.md carries a copy)."""
    s = result.summary()
    v, met, t = s["values"], s["met"], s["targets"]

    def mark(key: str) -> str:
        return "met" if met[key] else "NOT met"

    worst = "n/a" if v["rank_correlation"] is None else f"{v['rank_correlation']:.2f}"
    median_rank = "n/a" if s["median_rank_correlation"] is None else f"{s['median_rank_correlation']:.2f}"
    how = f"{CASES.get(result.regime, result.regime)}: {METHODS.get(result.regime, result.regime)}"
    lines = [f"{title(result.regime)} ({how}): {s['figures']} published figures, {s['models']} models, "
             f"{s['gpus']} GPUs; the figures predicted are in neither the fit nor their band", "",
             f"  inside their band       {v['inside_band']:.0%}   (target >= {t['inside_band']:.0%}: "
             f"{mark('inside_band')})",
             f"  median |error|          {v['median_abs_error']:.0%}   (target <= {t['median_abs_error']:.0%}: "
             f"{mark('median_abs_error')})",
             f"  median band width       {v['median_band_width']:.2f}x (target <= {t['median_band_width']}x: "
             f"{mark('median_band_width')})",
             f"  GPU rank correlation    worst {worst}, median {median_rank}; {s['rank_settings_at_target']} of "
             f"{len(result.ranks)} model settings >= {t['rank_correlation']} (target: every one: "
             f"{mark('rank_correlation')})", ""]
    lines += ["  Which of two GPUs is faster (every pair of one setting):",
              *[f"    {o.label}" for o in result.pair_orders], ""]
    for r in result.ranks:
        lines.append(f"  {r.setting}: {r.gpus} GPUs, Spearman {r.spearman:.2f}")
        if r.spearman < t["rank_correlation"] - 1e-9:
            lines += [f"      swapped: {swap}" for swap in r.swaps]
    return "\n".join(lines)


def render_backtests(results: Sequence[Backtest]) -> str:
    """Every regime's table, then the figures no fit could use."""
    lines = ["How good is this advice: GPU figures predicted out of sample, against published measurements", ""]
    for result in results:
        lines += [render_backtest(result), ""]
    left = results[0].left_out if results else ()
    if left:
        lines += [f"Left out ({len(left)}):"] + [f"  {x}" for x in left]
    return "\n".join(lines)
