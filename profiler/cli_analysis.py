"""``horsepower sweep`` and ``horsepower value``: crossover sweeps and hardware prices."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from profiler.analysis import fmt
from profiler.analysis.sweep import BATCH_KNOB, SweepPoint, sweep
from profiler.results.result import RunResult, new_run_id
from profiler.results.spec import RunSpec


def usage_error(message: str) -> Exception:
    from profiler.cli_errors import UsageError

    return UsageError(message)


def register(sub: Any) -> None:
    p = sub.add_parser("sweep", help="sweep a knob on devices and find where an accelerator wins")
    p.add_argument("--workload", default="mlp", help="workload to sweep (default mlp)")
    p.add_argument("--knob", required=True, help="batch_size or a workload knob such as width")
    p.add_argument("--values", required=True, help="comma-separated positive integers")
    p.add_argument("--device", action="append", required=True, dest="devices",
                   help="device to run on (repeat: --device cpu --device cuda:0)")
    p.add_argument("--duration", type=float, default=3.0, help="timed seconds per point (default 3)")
    p.add_argument("--json", action="store_true", help="print the sweep as JSON")
    p.add_argument("--html", metavar="FILE", help="also write a one-page HTML report")
    p.add_argument("--no-history", action="store_true", help="do not store the sweep's runs")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("value", help="show or set hardware prices; project a job's cost")
    vsub = p.add_subparsers(dest="value_command", metavar="ACTION", required=True)
    show = vsub.add_parser("show", help="print the saved prices")
    show.set_defaults(func=cmd_value_show)
    setp = vsub.add_parser("set", help="set a device's price or the electricity price")
    setp.add_argument("device", nargs="?", help="device id (cpu, cuda:0, ...)")
    setp.add_argument("--purchase", type=float, help="purchase price")
    setp.add_argument("--years", type=float, default=3.0, help="years to amortise over (default 3)")
    setp.add_argument("--hours-per-day", type=float, default=8.0, help="hours of use a day (default 8)")
    setp.add_argument("--cloud", type=float, help="cloud rate per hour (includes electricity)")
    setp.add_argument("--electricity", type=float, help="electricity price per kWh")
    setp.add_argument("--currency", help="currency code, e.g. USD or EUR")
    setp.set_defaults(func=cmd_value_set)
    proj = vsub.add_parser("project", help="time, energy and cost of a job on stored runs' devices")
    proj.add_argument("runs", nargs="+", metavar="RUN")
    proj.add_argument("--samples", type=int, required=True, help="dataset size in samples")
    proj.add_argument("--epochs", type=float, default=1.0, help="epochs (default 1)")
    proj.add_argument("--json", action="store_true")
    proj.set_defaults(func=cmd_value_project)


def parse_values(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        values = []
    if not values or any(v <= 0 for v in values):
        raise usage_error(f"--values takes comma-separated positive integers, got {text!r}")
    return values


def check_sweep(args: argparse.Namespace, values: list[int]) -> None:
    from profiler.runner import SpecError, validate_spec
    from profiler.workloads import WorkloadError, get_workload

    try:
        workload = get_workload(args.workload)
    except WorkloadError as exc:
        raise usage_error(str(exc)) from None
    knobs = sorted({k for preset in workload.presets.values() for k in preset})
    if args.knob != BATCH_KNOB and args.knob not in knobs:
        raise usage_error(f"unknown knob {args.knob!r} for {args.workload}; "
                          f"choose from {', '.join([BATCH_KNOB, *knobs])}")
    from profiler.analysis.sweep import spec_for

    for device in args.devices:
        try:
            validate_spec(spec_for(args.workload, args.knob, values[0], device, None))
        except SpecError as exc:
            raise usage_error(str(exc)) from None


def recording_run_fn(store: Any) -> Any:
    """A sweep ``run_fn`` that stores each run in history while it runs."""
    from profiler.events import EventBus
    from profiler.history import RunRecorder
    from profiler.runner import run_training

    def run(spec: RunSpec) -> RunResult:
        run_id = new_run_id()
        bus = EventBus()
        if store is not None:
            recorder = RunRecorder(store, run_id, spec)
            bus.subscribe(recorder)
        try:
            return run_training(spec, bus=bus, run_id=run_id)
        finally:
            if store is not None:
                recorder.close()
    return run


def _progress(point: SweepPoint) -> None:
    figure = fmt.num(point.samples_per_s) if point.samples_per_s is not None else point.status
    print(f"  {point.device} value {point.value}: {figure} samples/s", file=sys.stderr)


def cmd_sweep(args: argparse.Namespace) -> int:
    from profiler.cli_history import check_writable, open_store

    values = parse_values(args.values)
    if args.duration <= 0:
        raise usage_error(f"--duration must be positive, got {args.duration:g}")
    if args.html:
        check_writable(args.html)
    check_sweep(args, values)
    store = None if args.no_history else open_store()
    base = RunSpec(workload=args.workload, duration_s=args.duration)
    try:
        result = sweep(args.workload, args.knob, values, args.devices,
                       run_fn=recording_run_fn(store), base=base, on_point=_progress)
    finally:
        if store is not None:
            store.close()
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(render_sweep(result))
    if args.html:
        from profiler.reports.html import comparison_report

        with open(args.html, "w", encoding="utf-8") as fh:
            fh.write(comparison_report([], sweep=result, title=f"Horsepower sweep: {args.knob}"))
    return 0


def render_sweep(result: Any) -> str:
    """One row per (knob value, device): samples/s, achieved FLOP/s, MFU; then the verdict."""
    from profiler.results import format as rfmt

    header = f"{result.knob:>10}  {'device':<8} {'samples/s':>12} {'achieved':>14} {'MFU':>7}  notes"
    lines = [f"{result.workload} sweep over {result.knob}", header]
    for point in sorted(result.points, key=lambda p: (p.value, result.devices.index(p.device))):
        notes = point.error or "; ".join(point.warnings)
        lines.append(
            f"{point.value:>10}  {point.device:<8} {rfmt.count(point.samples_per_s):>12} "
            f"{rfmt.flops(point.achieved_flops_per_s):>14} {rfmt.percent(point.mfu):>7}  {notes}".rstrip()
        )
    if result.crossovers:
        lines += [crossing.message for crossing in result.crossovers.values()]
    else:
        lines.append("no accelerator in this sweep: add --device cuda:0 (or mps, xpu:0) to find where it "
                     "overtakes the CPU")
    return "\n".join(lines)


def cmd_value_show(args: argparse.Namespace) -> int:
    from profiler.analysis.prices import PricesError, book_to_dict, load_prices

    try:
        print(json.dumps(book_to_dict(load_prices()), indent=2))
    except PricesError as exc:
        raise usage_error(str(exc)) from None
    return 0


def cmd_value_set(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from profiler.analysis.prices import (
        PricesError,
        check_amount,
        check_price,
        load_prices,
        save_prices,
    )
    from profiler.analysis.value import DevicePrice

    try:
        book = load_prices()
        if args.electricity is not None or args.currency:
            book = replace(book, electricity_per_kwh=args.electricity
                           if args.electricity is not None else book.electricity_per_kwh,
                           currency=args.currency or book.currency)
            check_amount("--electricity", book.electricity_per_kwh)
        if args.device:
            if (args.purchase is None) == (args.cloud is None):
                raise usage_error("give exactly one of --purchase PRICE or --cloud RATE_PER_HOUR")
            book = book.with_device(check_price(DevicePrice(
                args.device, purchase_price=args.purchase, amortise_years=args.years,
                hours_per_day=args.hours_per_day, cloud_per_h=args.cloud)))
        elif args.electricity is None and not args.currency:
            raise usage_error("give a DEVICE with --purchase/--cloud, or --electricity/--currency")
    except PricesError as exc:
        raise usage_error(str(exc)) from None
    path = save_prices(book)
    print(f"prices saved to {path}")
    return 0


def cmd_value_project(args: argparse.Namespace) -> int:
    from profiler.analysis.prices import PricesError, load_prices
    from profiler.analysis.value import Job, value_table
    from profiler.cli_history import open_store, resolve_run

    if args.samples <= 0 or args.epochs <= 0:
        raise usage_error("--samples and --epochs must be positive")
    try:
        prices = load_prices()
    except PricesError as exc:
        raise usage_error(str(exc)) from None
    with open_store() as store:
        runs = [resolve_run(store, ref) for ref in args.runs]
    rows = value_table(runs, prices, Job(args.samples, args.epochs))
    if args.json:
        from dataclasses import asdict

        print(json.dumps([{"run_id": r["run_id"], "value": asdict(v), "projection": asdict(p)}
                          for r, (v, p) in zip(runs, rows, strict=True)], indent=2))
        return 0
    cur = prices.currency
    for run, (value, proj) in zip(runs, rows, strict=True):
        assert proj is not None
        notes = f"  ({'; '.join(value.notes)})" if value.notes else ""
        print(f"{run['run_id']} on {value.device}: {fmt.duration(proj.time_s)}, "
              f"{fmt.num(proj.energy_wh)} Wh, {fmt.money(proj.cost, cur)}, "
              f"{fmt.num(value.samples_per_dollar)} samples per {cur}{notes}")
    return 0
