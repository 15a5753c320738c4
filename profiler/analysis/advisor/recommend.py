"""The advisor's recommendation in plain words, naming the trade-off.

"Renting an NVIDIA H100 SXM5 80GB (Lambda, 3.99 USD/h) finishes in 24 min (12-58 min,
projected, not measured) for about 1.60 USD, using about 280 Wh; an RTX 4090 ... ; this CPU
(measured) would need 41 h." Every projected figure says so; a measured one says "measured".
When this machine meets the deadline the answer is "nothing to buy"; a bought device names its
up-front price, and with a budget no device whose up-front price exceeds it is recommended.
Two fastest GPUs projected closer than the back-test can order are called too close to call.
A projection whose error was never measured (``Projection.untested``: a GPU vendor the corpus
has no figure of) is never recommended: when it would have led, the answer says so and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from profiler import units
from profiler.analysis.advisor.backtest import CLOSE_CALL_SHARE, OrderEvidence, order_at
from profiler.analysis.advisor.bands import PROJECTED, Band
from profiler.analysis.advisor.constraints import Constraints
from profiler.analysis.advisor.costs import BOUGHT, OWN, RENTED

if TYPE_CHECKING:
    from profiler.analysis.advisor.row import Row


def _time(band: Band, measured: bool) -> str:
    if measured:
        return f"{units.duration(band.nominal)} (measured rate)"
    return f"{units.duration(band.nominal)} ({band.span(units.duration)}, {PROJECTED})"


def _who(row: Row) -> str:
    name = row.device.name
    if row.cost.kind == RENTED and row.cost.price is not None:
        return f"renting {name} ({row.cost.price.provider}, {units.money(row.cost.price.usd_per_h, 'USD')}/h)"
    if row.cost.kind == BOUGHT and row.device.release_price_usd is not None:
        return f"buying {name} ({units.money(row.device.release_price_usd.value, 'USD')} up front)"
    if row.owned:
        return f"{name} (yours)"
    return name


def _cost(row: Row, currency: str) -> str:
    amount = row.cost.amount
    if amount is None:
        return f"cost n/a ({row.cost.basis})"
    what = {OWN: " of electricity", BOUGHT: " as this job's share of its amortised price and electricity"}
    return f"about {units.money(amount.nominal, currency)}{what.get(row.cost.kind, '')}"


def _energy(row: Row) -> str:
    if row.energy_wh is None:
        return ""
    wh = row.energy_wh.nominal
    return f", using about {units.num(wh / 1000.0)} kWh" if wh >= 1000 else f", using about {units.num(wh)} Wh"


def sentence(row: Row, currency: str) -> str:
    assert row.time_s is not None
    return f"{_who(row)} finishes in {_time(row.time_s, row.measured)} for {_cost(row, currency)}{_energy(row)}"


def close_call(rows: Sequence[Row], evidence: OrderEvidence | None) -> str:
    """A sentence when the two fastest feasible projected GPUs are closer than the back-test
    can order (pairs projected that far apart were in the published order less than
    ``CLOSE_CALL_SHARE`` of the time: ``evidence``), else ""."""
    if evidence is None:
        return ""
    gpus = sorted((r for r in rows if r.feasible and r.time_s is not None and not r.measured
                   and r.device.family == "gpu" and not r.projection.untested),
                  key=lambda r: r.time_s.nominal if r.time_s else 0.0)
    if len(gpus) < 2:
        return ""
    first, second = gpus[0], gpus[1]
    assert first.time_s is not None and second.time_s is not None
    gap = second.time_s.nominal / first.time_s.nominal
    order = order_at(evidence.orders_for(first.device.id, second.device.id), gap)
    if order is None or order.share >= CLOSE_CALL_SHARE:
        return ""
    return (f"Too close to call: {first.device.name} and {second.device.name} are projected {gap:.2f}x apart, and "
            f"GPU pairs projected this close were in the published order {order.in_order} of {order.pairs} "
            f"times ({order.share:.0%}) in the back-test: either may be the faster.")


def _passed_over(rows: Sequence[Row], recommendable: Sequence[Row]) -> str:
    """Sentences naming the untested rows (``Projection.untested``) ranked above every
    recommendable one, or faster than all of them, and why they are not recommended; "" if none."""
    first = rows.index(recommendable[0]) if recommendable else len(rows)
    best_s = min((r.time_s.nominal for r in recommendable if r.time_s is not None), default=None)
    untested = [(i, r) for i, r in enumerate(rows) if r.projection.untested and r.feasible and r.time_s is not None]
    higher = [r for i, r in untested if i < first]
    faster = [r for i, r in untested if i > first and best_s is not None and r.time_s is not None
              and r.time_s.nominal < best_s]

    def each(group: Sequence[Row]) -> str:
        return "; ".join(f"{r.device.name}, projected to finish in {units.duration(r.time_s.nominal)} "
                         f"({r.time_s.span(units.duration)}), as "
                         f"{r.projection.untested}" for r in group if r.time_s is not None)

    return " ".join(f"Not recommended although {why}: {each(group)}."
                    for why, group in (("ranked higher", higher), ("faster", faster)) if group)


def recommendation(rows: Sequence[Row], constraints: Constraints, run_id: str = "",
                   evidence: OrderEvidence | None = None) -> str:
    """A few sentences: the fastest and the cheapest feasible device, whether the two fastest
    GPUs are too close to call (``close_call`` on the back-test's ``evidence``), and this
    machine (as the advised run ``run_id`` measured it, when its row is in ``rows``)."""
    usable = [r for r in rows if r.time_s is not None and not r.projection.untested]
    feasible = [r for r in usable if r.feasible]
    if not usable:
        return "No device could be projected for this run (see the n/a reasons in the table)."
    passed_over = _passed_over(rows, feasible)
    parts: list[str] = []
    cur = constraints.currency
    own = [r for r in usable if r.owned and r.measured]
    mine = next((r for r in own if run_id and r.projection.measured_run == run_id), own[0] if own else None)
    if mine is not None and mine.time_s is not None and constraints.deadline_s is not None \
            and mine.meets_deadline and mine.within_budget is not False:
        parts.append(f"This machine meets your deadline: nothing to buy. {mine.device.name} finishes in "
                     f"{_time(mine.time_s, True)}{_energy(mine)}.")
        faster = min((r for r in feasible if r is not mine), key=lambda r: r.time_s.nominal if r.time_s else 0,
                     default=None)
        if faster is not None and faster.time_s is not None and faster.time_s.nominal < mine.time_s.nominal:
            parts.append(f"Only if you want it sooner: {sentence(faster, cur)}.")
        return " ".join(parts)
    if not feasible:
        fastest = min((r for r in usable if r.feasible_fit), key=lambda r: r.time_s.nominal if r.time_s else 0,
                      default=None)
        limits = []
        if constraints.deadline_s is not None:
            limits.append(f"the {units.duration(constraints.deadline_s)} deadline")
        if constraints.budget_total is not None or constraints.budget_per_h is not None:
            limits.append("the budget")
        parts.append(f"No listed device meets {' and '.join(limits) or 'the constraints'}.")
        if fastest is not None:
            parts.append(f"The fastest that fits: {sentence(fastest, cur)}.")
    else:
        lead = feasible[0]  # the rows come ranked by the user's objective
        if constraints.budget_total is not None or constraints.budget_per_h is not None:
            # with a budget, a device whose cost is unknown cannot be said to keep to it
            lead = next((r for r in feasible if r.cost.amount is not None), lead)
        fastest = min(feasible, key=lambda r: r.time_s.nominal if r.time_s else 0)
        priced = [r for r in feasible if r.cost.amount is not None]
        cheapest = min(priced, key=lambda r: r.cost.amount.nominal if r.cost.amount else 0, default=None)
        first = sentence(lead, cur)
        parts.append(first[0].upper() + first[1:] + ".")
        if fastest is not lead:
            parts.append(f"Fastest: {sentence(fastest, cur)}.")
        if cheapest is not None and cheapest is not lead and cheapest is not fastest:
            assert cheapest.time_s is not None and fastest.time_s is not None
            slower = cheapest.time_s.nominal / fastest.time_s.nominal
            parts.append(f"Cheapest: {sentence(cheapest, cur)} ({units.ratio(slower)} the fastest's time).")
        close = close_call(rows, evidence)
        if close:
            parts.append(close)
    if passed_over:
        parts.append(passed_over)
    if mine is not None and mine.time_s is not None:
        parts.append(f"This machine ({mine.device.name}) would need {_time(mine.time_s, True)}.")
    return " ".join(parts)
