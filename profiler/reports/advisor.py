"""The advisor as one call for the CLI and the window: gather history and reference runs,
read the user's constraints as text, advise.

Window use (Advisor tab), all Qt-free and synchronous (run it off the GUI thread: the first
call replays the model on the meta device, 0.1-2 s):

    inputs = gather_inputs()                       # catalogue + corpus model + history + reference runs
    constraints = read_constraints(samples="1e6", epochs="3", budget="2/h", deadline="24h",
                                   mode="rent")    # ConstraintError: one line for the field
    advice = advise_run(run, constraints, inputs, precision="amp", batch=256)   # run: a RunResult
    advice = advise_model("hf:gpt2", {}, 8, "bf16", constraints, inputs)   # no run: counted on meta
    text.to_dict(advice)  # rows, chart (points + on_front), calibration, recommendation, credits

The GPU efficiency model is fitted to the shipped corpus of published measurements (or a
``--corpus`` file: ``CorpusError`` for a bad row) once per process; ``quality_lines`` is its
back-tests ("How good is this advice": a model the corpus lacks, and one it has).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from profiler import numbers
from profiler.analysis.advisor import Advice, Catalogue, ConstraintError, Constraints, advise, load_catalogue
from profiler.analysis.advisor.backtest import Backtest, PairOrder, title
from profiler.analysis.advisor.census import step_facts
from profiler.analysis.advisor.constraints import AUTO, DEFAULT_SAMPLES, parse_budget, parse_deadline
from profiler.analysis.advisor.corpus import CorpusError, corpus_shipped, load_corpus
from profiler.analysis.advisor.gpu_model import GpuModel
from profiler.analysis.advisor.memory_check import MemoryCheck, check_memory
from profiler.analysis.advisor.model_facts import ModelFacts, shipped_facts
from profiler.analysis.advisor.subject import subject_of_facts, subject_of_model, subject_of_run
from profiler.analysis.prices import PricesError, load_prices
from profiler.reports.backtest_cache import backtests
from profiler.reports.reference_runs import load_reference_runs
from profiler.results.result import RunResult, UnreadableResult, read_result

if TYPE_CHECKING:
    from profiler.history import HistoryStore

log = logging.getLogger(__name__)

#: most recent completed runs read from history for calibration
HISTORY_LIMIT = 300


@dataclass(frozen=True)
class AdvisorInputs:
    catalogue: Catalogue
    history: tuple[RunResult, ...] = ()
    reference: tuple[RunResult, ...] = ()
    problems: tuple[str, ...] = field(default_factory=tuple)
    gpu: GpuModel | None = None
    backtests: tuple[Backtest, ...] = ()
    memory: MemoryCheck | None = None

    @property
    def pair_orders(self) -> dict[str, tuple[PairOrder, ...]]:
        """Per back-test regime, how often two GPUs' projections were in the published order."""
        return {b.regime: b.pair_orders for b in self.backtests}


_FITTED: dict[tuple[str, int], tuple[GpuModel, tuple[Backtest, ...]] | None] = {}
_MEMORY: dict[str, MemoryCheck | None] = {}


def _catalogue_key(catalogue: Catalogue) -> int:
    """What the fit depends on in the catalogue: every GPU's peaks and bandwidth."""
    return hash(tuple((d.id, tuple(sorted((k, f.value) for k, f in d.peaks.items())),
                       d.bandwidth_bytes_per_s.value if d.bandwidth_bytes_per_s else None)
                      for d in catalogue.devices if d.family == "gpu"))


def fitted(catalogue: Catalogue, corpus_file: str | None = None) -> tuple[GpuModel, tuple[Backtest, ...]] | None:
    """The GPU model fitted to the corpus and its back-tests, one per regime (once per catalogue
    and file); None
    when the shipped corpus or its counted model facts are missing (GPU rows are then n/a);
    ``CorpusError`` for a bad corpus file or one that leaves too little to fit."""
    key = (str(corpus_file or ""), _catalogue_key(catalogue))
    if key not in _FITTED:
        if corpus_file is None and not corpus_shipped():
            log.warning("no published corpus in this installation: GPU rows cannot be projected")
            _FITTED[key] = None
            return None
        corpus = load_corpus(catalogue, corpus_file)
        facts = shipped_facts()
        try:
            _FITTED[key] = (GpuModel.build(corpus, facts), backtests(corpus, facts))
        except ValueError as exc:
            raise CorpusError(f"{corpus_file or 'the shipped corpus'}: {exc}") from None
    return _FITTED[key]


def memory_checked(catalogue: Catalogue, corpus_file: str | None = None) -> MemoryCheck | None:
    """The memory verdicts on the corpus's published batches (``memory_check``; once per file);
    None without a corpus."""
    key = str(corpus_file or "")
    if key not in _MEMORY:
        if corpus_file is None and not corpus_shipped():
            _MEMORY[key] = None
        else:
            _MEMORY[key] = check_memory(load_corpus(catalogue, corpus_file), shipped_facts())
    return _MEMORY[key]


def quality_lines(backtests: tuple[Backtest, ...], memory: MemoryCheck | None = None) -> tuple[str, ...]:
    """"How good is this advice": each regime's back-test figures against their targets, then
    the memory verdicts on published batches."""
    lines: list[str] = []
    ok = {True: "met", False: "NOT met"}
    for backtest in backtests:
        s = backtest.summary()
        v, met = s["values"], s["met"]
        rank = "n/a" if v["rank_correlation"] is None else f"{v['rank_correlation']:.2f}"
        lines.append(f"{title(backtest.regime)}: {s['figures']} published GPU figures ({s['models']} models, "
                     f"{s['gpus']} GPUs) predicted out of sample: {v['inside_band']:.0%} inside their band "
                     f"(target 80%: {ok[met['inside_band']]}), median error {v['median_abs_error']:.0%} "
                     f"(25%: {ok[met['median_abs_error']]}), median band {v['median_band_width']:.2f}x "
                     f"(2.5x: {ok[met['median_band_width']]}), worst GPU-rank Spearman {rank}, "
                     f"{s['rank_settings_at_target']} of {s['rank_settings']} model settings at 0.9 or above "
                     f"(every one: {ok[met['rank_correlation']]})")
        orders = backtest.pair_orders
        if orders:
            lines.append("  Which of two GPUs is faster, by how far apart they are projected: "
                         + ", ".join(f"{o.span} {o.share:.0%} right" for o in orders))
    if memory is not None:
        lines.append(memory.line())
    return tuple(lines)


def history_runs(store: HistoryStore, limit: int = HISTORY_LIMIT) -> list[RunResult]:
    """Completed single-rank runs of the history (newest first).

    A torch.distributed run's samples/s is several processes' together, not one device's rate:
    it neither calibrates a device nor stands as "measured" for it. A stored result that cannot
    be rebuilt is left out (logged): it calibrates nothing."""
    runs = []
    for summary in store.list_runs(status="completed", limit=limit, world_size=1):
        data = store.get(summary.run_id)
        if data is None:
            continue
        try:
            runs.append(read_result(data))
        except UnreadableResult as exc:
            log.warning("run %s is not used for calibration: %s", summary.run_id, exc)
    return runs


def gather_inputs(store: HistoryStore | None = None, catalogue: Catalogue | None = None,
                  corpus_file: str | None = None) -> AdvisorInputs:
    """Catalogue (with the user's ``hardware.json``: ``OverrideError`` if bad), the GPU model
    fitted to the corpus (``CorpusError`` if bad), history runs (when a store is given) and the
    shipped reference runs (bad files are skipped, named)."""
    catalogue = catalogue if catalogue is not None else load_catalogue()
    model = fitted(catalogue, corpus_file)
    reference, problems = load_reference_runs()
    history = history_runs(store) if store is not None else []
    gpu, backtests = model if model is not None else (None, ())
    return AdvisorInputs(catalogue, tuple(history), tuple(reference), tuple(problems), gpu, backtests,
                         memory_checked(catalogue, corpus_file) if model is not None else None)


_BOUNDS = {"samples": numbers.SAMPLES, "epochs": numbers.EPOCHS, "electricity price": numbers.MONEY,
           "years": numbers.YEARS, "hours per day": numbers.HOURS_PER_DAY}


def _number(name: str, text: str | float | None) -> float | None:
    """``text`` checked by ``profiler.numbers`` (finite, in range); None when not given."""
    if text is None or text == "":
        return None
    bound = _BOUNDS[name].named(name)
    try:
        return float(bound.parse(text) if isinstance(text, str) else bound.check(text))
    except numbers.NumberError as exc:
        raise ConstraintError(str(exc)) from None


def default_electricity() -> float | None:
    """The price book's electricity price per kWh when it is in USD (the catalogue's currency)."""
    try:
        book = load_prices()
    except PricesError as exc:
        log.warning("prices not used: %s", exc)
        return None
    return book.electricity_per_kwh if book.currency == "USD" else None


def read_constraints(samples: str | float | None = None, epochs: str | float | None = None,
                     budget: str | None = None, deadline: str | None = None, mode: str = AUTO,
                     years: str | float | None = None, hours_per_day: str | float | None = None,
                     electricity: str | float | None = None) -> Constraints:
    """Constraints from the user's words; ``ConstraintError`` names the bad field."""
    n = _number("samples", samples)
    if n is not None and (n <= 0 or n != int(n)):
        raise ConstraintError(f"samples must be a whole number more than zero, got {samples}")
    e = _number("epochs", epochs)
    total, per_h = parse_budget(budget) if budget not in (None, "") else (None, None)
    power = _number("electricity price", electricity)
    return Constraints(
        samples=int(n) if n is not None else DEFAULT_SAMPLES, epochs=e if e is not None else 1.0,
        budget_total=total, budget_per_h=per_h,
        deadline_s=parse_deadline(deadline) if deadline not in (None, "") else None, mode=mode,
        amortise_years=_number("years", years) or 3.0, hours_per_day=_number("hours per day", hours_per_day) or 8.0,
        electricity_per_kwh=power if power is not None else default_electricity(),
        samples_given=n is not None,
    )


def _finish(advice: Advice, inputs: AdvisorInputs) -> Advice:
    from dataclasses import replace

    return replace(advice, notes=(*advice.notes, *inputs.problems),
                   quality=quality_lines(inputs.backtests, inputs.memory),
                   scorecards=tuple(b.scorecard() for b in inputs.backtests),
                   memory_line=inputs.memory.line() if inputs.memory is not None else "")


def advise_run(run: RunResult, constraints: Constraints, inputs: AdvisorInputs,
               device_ids: Sequence[str] | None = None, show_all: bool = False, precision: str | None = None,
               batch: int | None = None) -> Advice:
    """The advisor's answer for ``run`` (from history, an import or a live run) at
    ``precision`` and ``batch`` (default: the run's); ``SubjectError`` when GPU rows cannot be made."""
    subject = subject_of_run(run, step_facts(run), precision, batch)
    advice = advise(run, inputs.catalogue, constraints, inputs.history, inputs.reference, device_ids, show_all,
                    subject=subject, gpu=inputs.gpu, pair_orders=inputs.pair_orders)
    return _finish(advice, inputs)


def advise_model(ref: str, knobs: Mapping[str, Any], batch: int, precision: str, constraints: Constraints,
                 inputs: AdvisorInputs, device_ids: Sequence[str] | None = None, show_all: bool = False,
                 facts: ModelFacts | None = None) -> Advice:
    """The answer for a model nobody trained here: counted on meta here (``SubjectError`` if it
    cannot be), or ``facts`` counted elsewhere (a child process: the window's)."""
    subject = (subject_of_model(ref, knobs, batch, precision) if facts is None
               else subject_of_facts(ref, knobs, facts, batch, precision))
    advice = advise(None, inputs.catalogue, constraints, (), (), device_ids, show_all, subject=subject,
                    gpu=inputs.gpu, pair_orders=inputs.pair_orders)
    return _finish(advice, inputs)
