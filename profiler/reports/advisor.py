"""The advisor as one call for the CLI and the window: gather history and reference runs,
read the user's constraints as text, advise.

Window use (Advisor tab), all Qt-free and synchronous (run it off the GUI thread: the first
call replays the model on the meta device, 0.1-2 s):

    inputs = gather_inputs()                       # catalogue + history + reference runs
    constraints = read_constraints(samples="1e6", epochs="3", budget="2/h", deadline="24h",
                                   mode="rent")    # ConstraintError: one line for the field
    advice = advise_run(run_dict, constraints, inputs)
    text.to_dict(advice)  # rows, chart (points + on_front), calibration, recommendation, credits
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from profiler.analysis.advisor import Advice, Catalogue, ConstraintError, Constraints, advise, load_catalogue
from profiler.analysis.advisor.constraints import AUTO, DEFAULT_SAMPLES, parse_budget, parse_deadline
from profiler.analysis.prices import PricesError, load_prices
from profiler.reports.reference_runs import load_reference_runs

if TYPE_CHECKING:
    from profiler.history import HistoryStore

log = logging.getLogger(__name__)

#: most recent completed runs read from history for calibration
HISTORY_LIMIT = 300


@dataclass(frozen=True)
class AdvisorInputs:
    catalogue: Catalogue
    history: tuple[dict[str, Any], ...] = ()
    reference: tuple[dict[str, Any], ...] = ()
    problems: tuple[str, ...] = field(default_factory=tuple)


def history_runs(store: HistoryStore, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
    """Completed single-rank runs of the history (newest first), without their time series.

    A torch.distributed run's samples/s is several processes' together, not one device's rate:
    it neither calibrates a device nor stands as "measured" for it."""
    runs = []
    for summary in store.list_runs(status="completed", limit=limit, world_size=1):
        run = store.get(summary.run_id)
        if run is not None:
            runs.append({k: v for k, v in run.items() if k not in ("series", "history")})
    return runs


def gather_inputs(store: HistoryStore | None = None, catalogue: Catalogue | None = None) -> AdvisorInputs:
    """Catalogue (with the user's ``hardware.json``: ``OverrideError`` if bad), history runs
    (when a store is given) and the shipped reference runs (bad files are skipped, named)."""
    catalogue = catalogue if catalogue is not None else load_catalogue()
    reference, problems = load_reference_runs()
    history = history_runs(store) if store is not None else []
    return AdvisorInputs(catalogue, tuple(history), tuple(reference), tuple(problems))


def _number(name: str, text: str | float | None) -> float | None:
    if text is None or text == "":
        return None
    try:
        return float(text)
    except (TypeError, ValueError):
        raise ConstraintError(f"{name} {text!r} is not a number") from None


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


def advise_run(run: Mapping[str, Any], constraints: Constraints, inputs: AdvisorInputs,
               device_ids: Sequence[str] | None = None, show_all: bool = False) -> Advice:
    """The advisor's answer for ``run`` (a result dict from history, an import or a live run)."""
    advice = advise(run, inputs.catalogue, constraints, inputs.history, inputs.reference, device_ids, show_all)
    if inputs.problems:
        from dataclasses import replace

        advice = replace(advice, notes=(*advice.notes, *inputs.problems))
    return advice


def device_choices(catalogue: Catalogue) -> list[dict[str, Any]]:
    """(id, name, class, featured) of every catalogue device, for a device picker."""
    return [{"id": d.id, "name": d.name, "class": d.device_class, "featured": d.featured}
            for d in catalogue.devices]
