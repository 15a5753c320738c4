"""Energy and money of a job on one device: own it, buy it, or rent it.

Power: measured where the run measured it (energy counter or power telemetry), else the
device's TDP x ``POWER_FRACTION`` (training draws 50-100% of TDP; a stated assumption).
Money: own = electricity only; buy = the launch price spread over ``amortise_years`` x 365
x ``hours_per_day`` plus electricity (``profiler.analysis.value.DevicePrice``); rent = the
cheapest listed on-demand rate, which includes electricity.
"""

from __future__ import annotations

from dataclasses import dataclass

from profiler import units
from profiler.analysis.advisor.bands import Band
from profiler.analysis.advisor.catalogue import Catalogue
from profiler.analysis.advisor.cloud import CloudPrice
from profiler.analysis.advisor.constraints import BUY, RENT, Constraints
from profiler.analysis.advisor.hardware import HardwareDevice
from profiler.analysis.value import DevicePrice, measured_of
from profiler.results.result import RunResult

POWER_FRACTION = (0.5, 0.8, 1.0)
OWN, BOUGHT, RENTED = "own", "buy", "rent"


@dataclass(frozen=True)
class Power:
    watts: Band
    measured: bool
    source: str


@dataclass(frozen=True)
class Cost:
    """Money for the job (None: n/a) and the rate per hour it implies. ``terms`` say how it is
    priced (owned, bought, rented) or why it is not; ``electricity`` is the energy's clause ("" where
    electricity does not enter), ``electricity_priced`` whether its money is in ``amount``."""

    amount: Band | None
    per_h: Band | None
    kind: str  # own, buy, rent or ""
    terms: str
    price: CloudPrice | None = None
    electricity: str = ""
    electricity_priced: bool = False

    @property
    def electricity_unpriced(self) -> bool:
        """The user gave no electricity price (the text answer says how, once)."""
        return self.electricity == NO_ELECTRICITY

    @property
    def basis(self) -> str:
        """How the cost was worked out, in words (the JSON's ``cost_basis``, the row's tooltip)."""
        if not self.electricity:
            return self.terms
        if self.kind == OWN:
            return f"{self.terms}: {self.electricity}"
        return f"{self.terms}{' + ' if self.electricity_priced else '; '}{self.electricity}"

    @property
    def basis_without_hint(self) -> str:
        """``basis`` with a missing electricity price said in a word, not how to give one."""
        if not self.electricity_unpriced:
            return self.basis
        return f"{self.terms}: electricity not priced" if self.kind == OWN else self.terms


def power_of(device: HardwareDevice, run: RunResult | None) -> Power | None:
    """The device's power while training: measured from ``run`` when it measured it."""
    if run is not None:
        measured = measured_of(run)
        if measured.power_w:
            return Power(Band.exact(measured.power_w), True, measured.power_source)
    if device.tdp_w is None:
        return None
    low, nominal, high = POWER_FRACTION
    return Power(Band.around(device.tdp_w.value * nominal, low / nominal, high / nominal), False,
                 f"{units.power(device.tdp_w.value)} TDP x 50-100% (nominal 80%; {device.tdp_w.source})")


def energy_wh(time_s: Band, power: Power | None) -> Band | None:
    return time_s.times(power.watts).scale(1 / 3600.0) if power is not None else None


#: how to give an electricity price
ELECTRICITY_HINT = "give --electricity or `horsepower value set --electricity`"
#: a cost's basis when the user gave no electricity price (the text advice says it once)
NO_ELECTRICITY = f"no electricity price ({ELECTRICITY_HINT})"


def _electricity(energy: Band | None, constraints: Constraints) -> tuple[Band | None, str]:
    if constraints.electricity_per_kwh is None:
        return None, NO_ELECTRICITY
    if energy is None:
        return None, "energy unknown (no power figure)"
    return energy.scale(constraints.electricity_per_kwh / 1000.0), \
        f"electricity at {units.money(constraints.electricity_per_kwh, constraints.currency)}/kWh"


def own_cost(time_s: Band, energy: Band | None, constraints: Constraints) -> Cost:
    money, clause = _electricity(energy, constraints)
    per_h = money.scale(3600.0 / time_s.nominal) if money is not None and time_s.nominal > 0 else None
    return Cost(money, per_h, OWN, "you own it", electricity=clause, electricity_priced=money is not None)


def buy_cost(device: HardwareDevice, time_s: Band, energy: Band | None, constraints: Constraints) -> Cost:
    if device.release_price_usd is None:
        return Cost(None, None, BOUGHT, "n/a: no purchase price for this device")
    price = DevicePrice(device.id, purchase_price=device.release_price_usd.value,
                        amortise_years=constraints.amortise_years, hours_per_day=constraints.hours_per_day)
    hourly = price.hardware_per_h or 0.0
    hardware = time_s.scale(hourly / 3600.0)
    electricity, clause = _electricity(energy, constraints)
    amount = hardware.plus(electricity) if electricity is not None else hardware
    chip = " (the chip alone)" if device.is_cpu else ""
    terms = (f"buy at {units.money(device.release_price_usd.value, 'USD')}{chip} over "
             f"{constraints.amortise_years:g} y at {constraints.hours_per_day:g} h/day")
    per_h = amount.scale(3600.0 / time_s.nominal) if time_s.nominal > 0 else None
    return Cost(amount, per_h, BOUGHT, terms, electricity=clause, electricity_priced=electricity is not None)


def rent_cost(device: HardwareDevice, time_s: Band, catalogue: Catalogue) -> Cost:
    prices = catalogue.prices_for(device.id)
    if not prices:
        return Cost(None, None, RENTED, "n/a: no cloud price listed for this device")
    best = prices[0]
    text = (f"rent {best.label} at {units.money(best.usd_per_h, 'USD')}/h "
            f"(read {best.read_on}, {best.age_days()} days ago)")
    return Cost(time_s.scale(best.usd_per_h / 3600.0), Band.exact(best.usd_per_h), RENTED, text, best)


def job_cost(device: HardwareDevice, time_s: Band, energy: Band | None, constraints: Constraints,
             catalogue: Catalogue, owned: bool) -> Cost:
    """The cost of the job on this device under the user's mode (own beats buy for owned devices)."""
    if owned:
        return own_cost(time_s, energy, constraints)
    if constraints.mode == RENT:
        return rent_cost(device, time_s, catalogue)
    if constraints.mode == BUY:
        return buy_cost(device, time_s, energy, constraints)
    options = [c for c in (rent_cost(device, time_s, catalogue), buy_cost(device, time_s, energy, constraints))
               if c.amount is not None]
    if not options:
        return Cost(None, None, "", "n/a: no cloud or purchase price for this device")
    return min(options, key=lambda c: c.amount.nominal if c.amount is not None else float("inf"))
