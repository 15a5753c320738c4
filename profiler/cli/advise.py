"""``horsepower advise``: which hardware to use for a measured run or a model, with honest bands.

    horsepower advise RUN [--batch N] [--precision P]          # a measured run, at the batch/precision you will train
    horsepower advise --model REF [--knob k=v] --batch N --precision P   # no training: counted on meta
    horsepower advise --backtest [--json]                      # how good the GPU advice is (out of sample)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from profiler.cli.common import UsageError, check_output, one_data_channel, open_store, print_json, resolve_run
from profiler.outputs import write_text
from profiler.results.result import RunResult, UnreadableResult, read_result


def register(sub: Any) -> None:
    p = sub.add_parser("advise", help="project a measured run onto hardware you do not own")
    p.add_argument("run", metavar="RUN", nargs="?", help="a run id (or unique prefix) from history, or a run file")
    p.add_argument("--model", metavar="REF", help="advise on a model without training it: a built-in name (gpt, "
                   "cnn-L), file.py:factory, module:factory or hf:NAME (counted on the meta device)")
    p.add_argument("--knob", action="append", default=[], metavar="NAME=VALUE",
                   help="a knob of --model (repeatable): a number, true/false or text (depths=[3,4,6,3])")
    p.add_argument("--batch", help="the batch you will train with (default: the run's; required with --model)")
    p.add_argument("--precision", help="the precision you will train with: fp32 (PyTorch's default: TF32 "
                   "convolutions, FP32 matmuls on Ampere and newer), tf32, bf16, fp16 or amp (fp16 autocast); "
                   "default: what the run's own setting means on each device")
    p.add_argument("--backtest", action="store_true",
                   help="print the cross-validated accuracy of the GPU advice over the published corpus")
    p.add_argument("--corpus", metavar="FILE", help="fit the GPU model to this corpus CSV instead of the shipped one")
    p.add_argument("--samples", help="dataset size in samples (1e6 works; default 1,000,000)")
    p.add_argument("--epochs", help="epochs (default 1)")
    p.add_argument("--budget", help="money for the job (50) or per hour (2/h), in USD")
    p.add_argument("--deadline", help="time the job must finish in: 24h, 90min, 3d")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--buy", dest="mode", action="store_const", const="buy", help="price devices as bought")
    mode.add_argument("--rent", dest="mode", action="store_const", const="rent", help="price devices as rented")
    p.add_argument("--years", help="years a purchase is spread over (default 3)")
    p.add_argument("--hours-per-day", help="hours of use a day for a purchase (default 8)")
    p.add_argument("--electricity", help="electricity price per kWh in USD (default: `horsepower value` price)")
    p.add_argument("--device", action="append", metavar="ID", help="only these catalogue devices (repeatable)")
    p.add_argument("--all", action="store_true", help="every catalogue device, not only the featured ones")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument("--html", metavar="FILE", help="also write the answer as a one-page HTML report")
    p.add_argument("--catalogue", action="store_true",
                   help="print the hardware catalogue (every figure with its source and age) as JSON instead")
    p.set_defaults(func=cmd_advise, mode="auto")


def _run(ref: str) -> tuple[RunResult, Any]:
    """(the run, the open store) for a history id or a run file path."""
    store = open_store()
    try:
        if Path(ref).is_file():
            from profiler.reports.validate import ImportRejected, read_run_file

            try:
                data, _series = read_run_file(ref)
            except ImportRejected as exc:
                raise UsageError(f"{ref}: {exc}") from None
        else:
            data = resolve_run(store, ref)
        try:
            return read_result(data), store
        except UnreadableResult as exc:
            raise UsageError(f"{ref}: not a run Horsepower can read ({exc})") from None
    except UsageError:
        store.close()
        raise


def _target(args: argparse.Namespace) -> tuple[int | None, str | None]:
    from profiler.analysis.advisor.precision import PrecisionError, check_precision
    from profiler.analysis.advisor.subject import SubjectError, check_batch

    try:
        batch = check_batch(args.batch)
        precision = check_precision(args.precision) if args.precision is not None else None
    except (PrecisionError, SubjectError) as exc:
        raise UsageError(str(exc)) from None
    return batch, precision


def _check_named(catalogue: Any, device_ids: list[str], precision: str | None) -> None:
    """A device named with --device that has no figure for --precision: one line, exit 2."""
    from profiler.analysis.advisor.precision import HALF

    if precision is None:
        return
    key = "fp16" if precision == "amp" else precision if precision in HALF else "fp32"
    for device_id in device_ids:
        device = catalogue.get(device_id)
        if device is not None and device.peak(key) is None:
            raise UsageError(f"{device.name}: n/a: no {key} figure for this device")


def _backtest(args: argparse.Namespace) -> int:
    from profiler.analysis.advisor import load_catalogue
    from profiler.analysis.advisor.backtest import render_backtests
    from profiler.reports.advisor import fitted, memory_checked

    model = fitted(load_catalogue(), args.corpus)
    if model is None:
        raise UsageError("no published corpus in this installation (resources/published/training_throughput.csv)")
    results = model[1]
    memory = memory_checked(load_catalogue(), args.corpus)
    if args.json:
        print_json({"regimes": [r.to_dict() for r in results], "memory": memory.to_dict() if memory else None})
    else:
        print(render_backtests(results))
        if memory is not None:
            print(f"\n{memory.line()}")
            print("\n".join(f"  {w}" for w in memory.wrong))
    return 0


def cmd_advise(args: argparse.Namespace) -> int:
    from profiler.analysis.advisor import ConstraintError, OverrideError, load_catalogue
    from profiler.analysis.advisor.corpus import CorpusError
    from profiler.analysis.advisor.subject import SubjectError
    from profiler.analysis.advisor.text import render, to_dict
    from profiler.cli.run import parse_knobs
    from profiler.reports.advisor import advise_model, advise_run, gather_inputs, read_constraints

    check_output(args.html)
    one_data_channel(args.json, args.html)
    batch, precision = _target(args)
    try:
        if args.catalogue:
            print_json(load_catalogue().to_dict())
            return 0
        if args.backtest:
            return _backtest(args)
        if bool(args.run) == bool(args.model):
            raise UsageError("give a RUN (a run id from `horsepower history`, or a run file), or --model REF, "
                             "or --backtest, or --catalogue")
        if args.model and (batch is None or precision is None):
            raise UsageError("--model needs --batch N and --precision (fp32, tf32, bf16, fp16 or amp)")
        knobs = parse_knobs(args.knob, typed=True)  # a built-in's are checked whole numbers when counted
        constraints = read_constraints(args.samples, args.epochs, args.budget, args.deadline, args.mode,
                                       args.years, args.hours_per_day, args.electricity)
        catalogue = load_catalogue()
        unknown = [d for d in args.device or [] if catalogue.get(d) is None]
        if unknown:
            raise UsageError(f"unknown device id(s) {', '.join(unknown)}; see `horsepower advise --catalogue`")
        _check_named(catalogue, args.device or [], precision)
        if args.model:
            inputs = gather_inputs(None, catalogue, args.corpus)
            assert batch is not None and precision is not None
            advice = advise_model(args.model, knobs, batch, precision, constraints, inputs, args.device, args.all)
        else:
            run, store = _run(args.run)
            with store:
                inputs = gather_inputs(store, catalogue, args.corpus)
            advice = advise_run(run, constraints, inputs, args.device, args.all, precision, batch)
    except (ConstraintError, OverrideError, CorpusError, SubjectError) as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print_json(to_dict(advice))
    else:
        print(render(advice, limit=None if args.all or args.device else 30),
              file=sys.stderr if args.html == "-" else sys.stdout)  # --html -: stdout is the HTML's
    if args.html:
        from profiler.reports.advisor_html import advice_report

        write_text(args.html, advice_report(advice))
        print(f"wrote report to {args.html}", file=sys.stderr)
    return 0
