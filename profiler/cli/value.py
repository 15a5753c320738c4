"""``horsepower value show|set|project``: hardware prices, and what a job costs on each device."""

from __future__ import annotations

import argparse
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

from profiler import numbers, units
from profiler.cli.common import UsageError, print_json, resolve_runs

if TYPE_CHECKING:
    from profiler.analysis.value import PriceBook


def register(sub: Any) -> None:
    p = sub.add_parser("value", help="show or set hardware prices; project a job's cost")
    vsub = p.add_subparsers(dest="value_command", metavar="ACTION", required=True)
    show = vsub.add_parser("show", help="print the saved prices")
    show.add_argument("--json", action="store_true", help="print the prices file's contents as JSON")
    show.set_defaults(func=cmd_value_show)
    setp = vsub.add_parser("set", help="set a device's price or the electricity price")
    setp.add_argument("device", nargs="?", help="device id (cpu, cuda:0, ...)")
    setp.add_argument("--purchase", type=numbers.MONEY.arg(), help="purchase price")
    setp.add_argument("--years", type=numbers.YEARS.arg(), default=3.0, help="years to amortise over (default 3)")
    setp.add_argument("--hours-per-day", type=numbers.HOURS_PER_DAY.arg(), default=8.0,
                      help="hours of use a day (default 8)")
    setp.add_argument("--cloud", type=numbers.MONEY.arg(), help="cloud rate per hour (includes electricity)")
    setp.add_argument("--electricity", type=numbers.MONEY.arg(), help="electricity price per kWh")
    setp.add_argument("--currency", help="currency code, e.g. USD or EUR")
    setp.set_defaults(func=cmd_value_set)
    reset = vsub.add_parser("reset", help="set the prices file aside (kept as prices.json.old-...) and start over")
    reset.set_defaults(func=cmd_value_reset)
    proj = vsub.add_parser("project", help="time, energy and cost of a job on stored runs' devices")
    proj.add_argument("runs", nargs="+", metavar="RUN")
    proj.add_argument("--samples", type=numbers.SAMPLES.arg(), required=True,
                      help="dataset size in samples (1e9 works)")
    proj.add_argument("--epochs", type=numbers.EPOCHS.arg(), default=1.0, help="epochs (default 1)")
    proj.add_argument("--json", action="store_true")
    proj.set_defaults(func=cmd_value_project)


def _prices() -> Any:
    from profiler.cli.compare import load_prices_or_exit

    return load_prices_or_exit()


def cmd_value_show(args: argparse.Namespace) -> int:
    from profiler.analysis.prices import book_to_dict
    from profiler.history.paths import prices_path

    book = _prices()
    if args.json:
        print_json(book_to_dict(book))
        return 0
    print(units.plain(f"Prices in {book.currency} ({prices_path()})"))
    for line in price_lines(book):
        print(units.plain(f"  {line}"))
    return 0


def price_lines(book: PriceBook) -> list[str]:
    """The price book in words, a line per price: electricity first, then each device by id."""
    cur = book.currency
    lines = [f"electricity: {units.money(book.electricity_per_kwh, cur)}/kWh" if book.electricity_per_kwh is not None
             else "electricity: not set (horsepower value set --electricity 0.30)"]
    for price in sorted(book.devices, key=lambda p: p.device):
        per_h = f"{units.money(price.hardware_per_h, cur)}/h"
        if price.basis == "cloud":
            lines.append(f"{price.device}: rented at {per_h} (taken to include electricity)")
        else:
            years = f"{price.amortise_years:g} year{'' if price.amortise_years == 1 else 's'}"
            lines.append(f"{price.device}: bought at {units.money(price.purchase_price, cur)}, spread over "
                         f"{years} at {price.hours_per_day:g} h/day = {per_h} plus electricity")
    if not book.devices:
        lines.append("devices: none priced (horsepower value set cpu --purchase 2000, or cuda:0 --cloud 1.20)")
    return lines


def cmd_value_set(args: argparse.Namespace) -> int:
    from profiler.analysis.prices import PricesError, check_amount, check_currency, check_price, save_prices
    from profiler.analysis.value import DevicePrice

    book = _prices()
    try:
        if args.electricity is not None or args.currency:
            book = replace(book, electricity_per_kwh=args.electricity
                           if args.electricity is not None else book.electricity_per_kwh,
                           currency=check_currency(args.currency) if args.currency else book.currency)
            check_amount("--electricity", book.electricity_per_kwh)
        if args.device:
            if (args.purchase is None) == (args.cloud is None):
                raise UsageError("give exactly one of --purchase PRICE or --cloud RATE_PER_HOUR")
            book = book.with_device(check_price(DevicePrice(
                args.device, purchase_price=args.purchase, amortise_years=args.years,
                hours_per_day=args.hours_per_day, cloud_per_h=args.cloud)))
        elif args.electricity is None and not args.currency:
            raise UsageError("give a DEVICE with --purchase/--cloud, or --electricity/--currency")
    except PricesError as exc:
        raise UsageError(str(exc)) from None
    path = save_prices(book)
    print(f"prices saved to {path}")
    return 0


def cmd_value_reset(args: argparse.Namespace) -> int:
    from profiler.analysis.prices import reset_prices

    moved = reset_prices()
    print(f"prices set aside as {units.plain(moved)}; no prices are saved now" if moved
          else "no prices file yet; nothing to reset")
    return 0


def cmd_value_project(args: argparse.Namespace) -> int:
    from profiler.analysis.value import Job, value_table

    if not (0 < args.samples <= 1e18 and args.samples == int(args.samples)) or not 0 < args.epochs <= 1e6:
        raise UsageError("--samples must be a whole number from 1 to 1e18 and --epochs a number in (0, 1e6]")
    prices = _prices()
    runs = resolve_runs(args.runs)
    rows = value_table(runs, prices, Job(int(args.samples), args.epochs))
    if args.json:
        print_json([{"run_id": r["run_id"], "value": asdict(v), "projection": asdict(p) if p else None}
                    for r, (v, p) in zip(runs, rows, strict=True)])
        return 0
    cur = prices.currency
    for run, (value, proj) in zip(runs, rows, strict=True):
        assert proj is not None
        notes = f"  ({'; '.join(value.notes)})" if value.notes else ""
        print(f"{units.plain(run['run_id'])} on {units.plain(value.device)}: {units.duration(proj.time_s)}, "
              f"{units.num(proj.energy_wh)} Wh, {units.money(proj.cost, cur)}, "
              f"{units.per_money(value.samples_per_dollar, 'samples', cur)}{notes}")
    return 0
