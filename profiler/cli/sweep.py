"""``horsepower sweep``: one knob across values on each device, and where an accelerator wins."""

from __future__ import annotations

import argparse
import sys
import threading
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from profiler import units
from profiler.cli.common import UsageError, check_output, open_store, print_json, usage_error
from profiler.cli.run import add_model_argument, model_fields
from profiler.outputs import write_text
from profiler.results.spec import RunSpec

if TYPE_CHECKING:
    from profiler.analysis.sweep import SweepPoint, SweepResult
    from profiler.history import HistoryStore
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
    p.add_argument("--duration", type=float, default=3.0, help="timed seconds per point (default 3)")
    p.add_argument("--json", action="store_true", help="print the sweep as JSON")
    p.add_argument("--html", metavar="FILE", help="also write a one-page HTML report")
    p.add_argument("--no-history", action="store_true", help="do not store the sweep's runs")
    p.set_defaults(func=cmd_sweep)


def parse_values(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        values = []
    if not values or any(v <= 0 for v in values):
        raise UsageError(f"--values takes comma-separated positive integers, got {text!r}")
    return values


def check_sweep(workload_name: str, knob: str, values: list[int], devices: list[str], base: RunSpec) -> None:
    """UsageError for a sweep that cannot run, before any point starts (a user's model is
    checked in one child process for all points)."""
    from profiler.analysis.sweep import BATCH_KNOB, spec_for
    from profiler.runner import SpecError
    from profiler.runner.validate import validate_specs

    knobs = _knob_names(base)
    if knob != BATCH_KNOB and knob not in knobs:
        raise UsageError(f"unknown knob {knob!r} for {base.model_label if base.is_user_model else workload_name}; "
                         f"choose from {', '.join([BATCH_KNOB, *knobs])}")
    try:
        validate_specs([spec_for(workload_name, knob, value, device, base) for device in devices for value in values])
    except SpecError as exc:
        raise usage_error(exc) from None


def _knob_names(base: RunSpec) -> list[str]:
    """The knobs a sweep may vary: a built-in's preset knobs, or a user model's factory's."""
    from profiler.runner import SpecError, validate_spec
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
    except SpecError as exc:
        raise usage_error(exc) from None
    return list(check_model(base).knobs)  # cached by the validation above


def recording_run_fn(store: HistoryStore | None) -> Any:
    """A sweep ``run_fn`` that stores each point in history while it runs."""
    from profiler.events import EventBus
    from profiler.history import recording
    from profiler.results.result import new_run_id
    from profiler.runner import run_training

    def run(spec: RunSpec) -> RunResult:
        run_id, bus = new_run_id(), EventBus()
        with recording(bus, run_id, spec, store) if store is not None else nullcontext():
            if spec.is_user_model:  # a user's model always runs in a supervised worker
                from profiler.worker import supervise

                return supervise(spec, bus, threading.Event(), run_id=run_id)
            return run_training(spec, bus=bus, run_id=run_id)

    return run


def _progress(point: SweepPoint) -> None:
    figure = units.rate(point.samples_per_s) if point.samples_per_s is not None else point.status
    print(f"  {point.device} value {point.value}: {figure}", file=sys.stderr)


def cmd_sweep(args: argparse.Namespace) -> int:
    from profiler.analysis.sweep import sweep

    values = parse_values(args.values)
    if not args.duration > 0:
        raise UsageError(f"--duration must be positive, got {args.duration:g}")
    check_output(args.html)
    base = RunSpec(**model_fields(args), duration_s=args.duration)
    check_sweep(base.workload, args.knob, values, args.devices, base)
    store = None if args.no_history else open_store()
    with store if store is not None else nullcontext():
        result = sweep(base.workload, args.knob, values, args.devices,
                       run_fn=recording_run_fn(store), base=base, on_point=_progress)
    if args.json:
        print_json(result.to_dict())
    else:
        print(render_sweep(result))
    if args.html:
        from profiler.reports.html import comparison_report

        write_text(args.html, comparison_report([], sweep=result, title=f"Horsepower sweep: {result.label} "
                                                                          f"{args.knob}"))
    return 0


def render_sweep(result: SweepResult) -> str:
    """One row per (knob value, device): samples/s, achieved FLOP/s, MFU; then the verdict."""
    rows = [(result.knob, "device", "samples/s", "achieved", "MFU", "notes")]
    for point in sorted(result.points, key=lambda p: (p.value, result.devices.index(p.device))):
        rows.append((str(point.value), point.device, units.count(point.samples_per_s),
                     units.flops(point.achieved_flops_per_s), units.percent(point.mfu),
                     point.error or "; ".join(point.warnings)))
    lines = [f"{result.label} sweep over {result.knob}", units.columns(rows, right=(0, 2, 3, 4))]
    if result.crossovers:
        lines += [crossing.message for crossing in result.crossovers.values()]
    else:
        lines.append("no accelerator in this sweep: add --device cuda:0 (or mps, xpu:0) to find where it "
                     "overtakes the CPU")
    return "\n".join(lines)
