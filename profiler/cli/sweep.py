"""``horsepower sweep``: one knob across values on each device, and where an accelerator wins."""

from __future__ import annotations

import argparse
import sys
import threading
from contextlib import nullcontext
from functools import partial
from typing import TYPE_CHECKING, Any

from profiler import numbers, units
from profiler.cli.common import EXIT_FAILED, UsageError, check_output, one_data_channel, print_json, usage_error
from profiler.cli.run import add_model_argument, model_fields
from profiler.cli.signals import interrupt_on_signals, say, stop_on_signals
from profiler.outputs import OutputWriteError, stdout_kept_for_data, write_text
from profiler.results.spec import MAX_DURATION_S, RunSpec

if TYPE_CHECKING:
    from profiler.analysis.sweep import SweepPoint, SweepResult
    from profiler.history.recorder import HistoryOutcome
    from profiler.results.result import RunResult


def register(sub: Any) -> None:
    p = sub.add_parser("sweep", help="sweep a knob on devices and find where an accelerator wins")
    p.add_argument("--workload", help="built-in workload to sweep (default mlp)")
    add_model_argument(p)
    p.add_argument("--knob", required=True, help="batch_size or a workload knob such as width (for --model: "
                                                  "one of its factory's integer keyword arguments)")
    p.add_argument("--values", required=True, help="comma-separated positive integers")
    p.add_argument("--device", action="append", required=True, dest="devices",
                   help="device to run on (repeat: --device cpu --device cuda:0)")
    p.add_argument("--duration", type=numbers.DURATION_S.arg(), default=3.0, help="timed seconds per point (default 3)")
    p.add_argument("--json", action="store_true", help="print the sweep as JSON")
    p.add_argument("--html", metavar="FILE", help="also write a one-page HTML report")
    p.add_argument("--no-history", action="store_true", help="do not store the sweep's runs")
    p.set_defaults(func=cmd_sweep)


def parse_values(text: str) -> list[int]:
    try:
        values = [numbers.COUNT.named("--values").parse(v) for v in text.split(",") if v.strip()]
    except numbers.NumberError as exc:
        raise UsageError(f"{exc} (in {units.plain(text)[:80]!r})") from None
    if not values:
        raise UsageError(f"--values takes comma-separated positive integers, got {text!r}")
    return values


def check_sweep(workload_name: str, knob: str, values: list[int], devices: list[str], base: RunSpec) -> None:
    """UsageError for a sweep that cannot run, before any point starts (a user's model is
    checked in one child process for all points)."""
    from profiler.analysis.sweep import BATCH_KNOB, spec_for
    from profiler.runner import SpecError
    from profiler.runner.fit import DoesNotFit
    from profiler.runner.validate import validate_specs

    knobs = _knob_names(base)
    if knob != BATCH_KNOB and knob not in knobs:
        raise UsageError(f"unknown knob {knob!r} for {base.model_label if base.is_user_model else workload_name}; "
                         f"choose from {', '.join([BATCH_KNOB, *knobs])}")
    try:
        validate_specs([spec_for(workload_name, knob, value, device, base) for device in devices for value in values])
    except DoesNotFit:
        raise  # valid input, too small a machine: exit 1 like `horsepower run` (``cmd_sweep``)
    except SpecError as exc:
        raise usage_error(exc) from None


def _knob_names(base: RunSpec) -> list[str]:
    """The knobs a sweep may vary: a built-in's preset knobs, or a user model's factory's."""
    from profiler.runner import SpecError, validate_spec
    from profiler.runner.fit import DoesNotFit
    from profiler.workloads import WorkloadError, get_workload

    if not base.is_user_model:
        try:
            workload = get_workload(base.workload)
        except WorkloadError as exc:
            raise UsageError(str(exc)) from None
        return sorted({k for preset in workload.presets.values() for k in preset})
    from profiler.runner.model_check import check_model

    try:
        validate_spec(base)  # the reference, then the model itself, in a check process
    except DoesNotFit:
        raise
    except SpecError as exc:
        raise usage_error(exc) from None
    return list(check_model(base).knobs)  # cached by the validation above


def recording_run_fn(record: bool, cancel: threading.Event | None = None,
                     outcomes: list[HistoryOutcome] | None = None) -> Any:
    """A sweep ``run_fn`` that stores each point in history while it runs (the store is opened
    on each recorder's writer thread, never here) and stops within a point on ``cancel``."""
    from profiler.history import recording
    from profiler.worker.run_one import run_one

    def run(spec: RunSpec) -> RunResult:
        keep = outcomes.append if outcomes is not None else None
        return run_one(spec, cancel=cancel, record=partial(recording, on_outcome=keep) if record else None,
                       raise_refused=True)  # bad input: nothing is stored

    return run


def _progress(point: SweepPoint) -> None:
    figure = units.rate(point.samples_per_s) if point.samples_per_s is not None else point.status
    print(f"  {point.device} value {point.value}: {figure}", file=sys.stderr)


def cmd_sweep(args: argparse.Namespace) -> int:
    from profiler.analysis.sweep import sweep
    from profiler.cli.boundary import error
    from profiler.runner.fit import DoesNotFit

    values = parse_values(args.values)
    if not 0 < args.duration <= MAX_DURATION_S:
        raise UsageError(f"--duration must be a positive number of seconds up to 30 days, got {args.duration:g}")
    check_output(args.html)
    one_data_channel(args.json, args.html)
    base = RunSpec(**model_fields(args), duration_s=args.duration)
    try:
        with interrupt_on_signals():  # model checks run the user's code in a child: stop it too
            check_sweep(base.workload, args.knob, values, args.devices, base)
    except DoesNotFit as exc:  # valid input, too small a machine: one line, exit 1, nothing allocated
        error(exc)
        return EXIT_FAILED
    cancel = threading.Event()
    outcomes: list[HistoryOutcome] = []
    quiet_stdout = stdout_kept_for_data() if args.json else nullcontext()
    with quiet_stdout, stop_on_signals(cancel) as stopper:
        result = sweep(base.workload, args.knob, values, args.devices, cancel=cancel,
                       run_fn=recording_run_fn(not args.no_history, cancel, outcomes), base=base,
                       on_point=_progress)
    if cancel.is_set():
        say(f"horsepower: sweep stopped after {len(result.points)} of {len(values) * len(args.devices)} points; "
            "the finished ones are shown and kept")
    if args.json:
        print_json(result.to_dict())
    else:  # with --html -, stdout is the HTML's: the table goes to stderr
        print(render_sweep(result), file=sys.stderr if args.html == "-" else sys.stdout)
    for outcome in outcomes:
        if outcome.message:
            say(f"horsepower: warning: {units.plain(outcome.message)}")
    if args.html:
        from profiler.reports.html import comparison_report

        try:
            write_text(args.html, comparison_report([], sweep=result, title=f"Horsepower sweep: {result.label} "
                                                                              f"{args.knob}"))
        except OutputWriteError as exc:
            kept = "its runs are in history" if not args.no_history else "the table above has its figures"
            raise OutputWriteError(f"{exc}; {kept}") from None
    return stopper.exit_code(0)


def render_sweep(result: SweepResult) -> str:
    """One row per (knob value, device): samples/s, achieved FLOP/s, MFU; then the verdict."""
    rows = [(result.knob, "device", "samples/s", "achieved", "MFU", "notes")]
    for point in sorted(result.points, key=lambda p: (p.value, result.devices.index(p.device))):
        rows.append((str(point.value), point.device, units.count(point.samples_per_s),
                     units.flops(point.achieved_flops_per_s), units.share(point.mfu),
                     point.error or "; ".join(point.warnings)))
    lines = [f"{result.label} sweep over {result.knob}", units.columns(rows, right=(0, 2, 3, 4))]
    if result.crossovers:
        lines += [crossing.message for crossing in result.crossovers.values()]
    else:
        lines.append("no accelerator in this sweep: add --device cuda:0 (or mps, xpu:0) to find where it "
                     "overtakes the CPU")
    return "\n".join(lines)
