"""``horsepower run``: one measured training run with a live progress line and a summary."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from contextlib import nullcontext
from functools import partial
from typing import TYPE_CHECKING, Any

from profiler import numbers, units
from profiler.cli.common import EXIT_FAILED, EXIT_OK, UsageError, check_output, usage_error
from profiler.cli.quiet_gate import add_wait_arguments, gate
from profiler.cli.signals import interrupt_on_signals, say, stop_on_signals
from profiler.outputs import OutputWriteError, rescue_copy, stdout_kept_for_data, write_text
from profiler.results.model_ref import PROTOCOL_DOC, ModelRefError, model_spec_fields
from profiler.results.spec import DEFAULT_TRACE_STEPS, PRECISIONS, SIZES, RunSpec, TraceRequest

if TYPE_CHECKING:
    from profiler.history.recorder import HistoryOutcome

MAX_KNOB_DIGITS = 18  # int64-sized; a longer value is a typo (and int() of 5,000 digits raises)


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="train a sample workload or your own model on a device and measure it")
    p.add_argument("--device", default="cpu", help="cpu, cuda:0, mps, xpu:0 (see `horsepower devices`)")
    p.add_argument("--workload", help="a built-in workload: mlp (default), cnn, gpt, lstm")
    add_model_argument(p)
    p.add_argument("--size", choices=SIZES, help="size preset of a built-in workload (default S)")
    p.add_argument("--batch-size", type=numbers.BATCH.arg(),
                   help="samples per step (default: the preset's or the model's)")
    p.add_argument("--knob", action="append", default=[], metavar="NAME=VALUE",
                   help="override a workload knob, e.g. --knob width=2048 (repeatable); a model's knobs are "
                        "its factory's keyword arguments (int, float, bool or str: --knob dropout=0.1, "
                        "--knob bias=false, --knob rnn_type=GRU)")
    p.add_argument("--precision", default="fp32", choices=PRECISIONS, help="numeric precision (default fp32)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--duration", type=numbers.DURATION_S.arg(), help="timed window in seconds (default 10)")
    group.add_argument("--steps", type=numbers.STEPS.arg(), help="timed window in steps")
    p.add_argument("--threads", type=numbers.THREADS.arg(), help="CPU threads for torch (default: all cores)")
    p.add_argument("--channels-last", action="store_true", help="channels_last memory format (CNN)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (falls back to eager)")
    p.add_argument("--input-pipeline", action="store_true",
                   help="feed batches from host memory through a DataLoader")
    p.add_argument("--loader-workers", "--workers", type=numbers.LOADER_WORKERS.arg(), default=2,
                   help="DataLoader worker processes in --input-pipeline mode (--workers: its older name)")
    p.add_argument("--loader-delay-ms", type=numbers.Bound("loader delay", 0, 1000, unit="ms").arg(), default=0.0,
                   metavar="MS", help="make each sample this much slower to load in --input-pipeline mode "
                                      "(0-1000 ms; to demonstrate an input-bound run)")
    p.add_argument("--allocator", choices=("default", "tuned"), default="default",
                   help="the C allocator in the training process: default, or tuned (glibc keeps freed buffers "
                        "instead of faulting them in again every step)")
    p.add_argument("--no-pin-memory", dest="pin_memory", action="store_false",
                   help="do not pin host memory in --input-pipeline mode (pinning applies to accelerators)")
    p.add_argument("--phase-every", type=numbers.Bound("phase-every", 0, 1_000_000, integer=True).arg(), default=10,
                   metavar="N",
                   help="time the phases of a step (data, forward, backward, ...) every N timed steps, "
                        "at most 4 per second; those steps are not in the figures (0: off; default 10)")
    p.add_argument("--trace", metavar="FILE",
                   help="after the timed window, record a few steps with torch.profiler into FILE "
                        "(Chrome/Perfetto trace JSON; .gz compresses); kept in the history")
    p.add_argument("--trace-steps", type=numbers.Bound("trace steps", 1, 100_000, integer=True).arg(), metavar="N",
                   help=f"steps in the --trace (default {DEFAULT_TRACE_STEPS})")
    p.add_argument("--isolated", action="store_true",
                   help="kept for older scripts: every run trains in a supervised worker process, as in the window")
    p.add_argument("--name", default="", help="a name for this run")
    p.add_argument("--json", metavar="FILE", help="write the result as JSON to FILE ('-' for stdout)")
    p.add_argument("--no-history", action="store_true", help="do not store this run in the history")
    add_wait_arguments(p)
    p.set_defaults(func=cmd_run)


def parse_knobs(items: list[str], typed: bool = False) -> dict[str, Any]:
    """``["width=2048"] -> {"width": 2048}``; UsageError for anything else. A built-in's knobs
    are integers; with ``typed`` (a user's model) a value may be a number, true/false or text,
    which the model check coerces to the knob's own type (``profiler.workloads.knobs``)."""
    from profiler.workloads.knobs import MAX_TEXT, parse_literal

    knobs: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if typed:
            if not sep or not name.strip().isidentifier() or not value.strip() or len(value) > MAX_TEXT:
                raise UsageError(f"--knob takes NAME=VALUE (a number, true/false or text), got "
                                 f"{units.plain(item)[:80]!r}")
            knobs[name.strip()] = parse_literal(value)
            continue
        if not sep or not name.strip() or not value.strip().lstrip("-").isdigit():
            raise UsageError(f"--knob takes NAME=INTEGER, got {units.plain(item)[:80]!r}")
        if len(value.strip().lstrip("-")) > MAX_KNOB_DIGITS:
            raise UsageError(f"--knob {name.strip()[:40]} is too large ({len(value.strip())} digits)")
        try:
            knobs[name.strip()] = numbers.KNOB.named(f"--knob {name.strip()[:40]}").parse(value)
        except numbers.NumberError as exc:
            raise UsageError(str(exc)) from None
    return knobs


def add_model_argument(parser: Any) -> None:
    parser.add_argument("--model", metavar="REF", help=(
        "your own model instead of a built-in workload: path/to/file.py:factory, package.module:factory, "
        f"hf:NAME (e.g. hf:gpt2), timm:NAME or torchvision:NAME (the workload protocol: {PROTOCOL_DOC})"))


def model_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The spec fields naming the workload: a built-in's, or ``--model``'s (UsageError if both)."""
    size = getattr(args, "size", None)  # sweep has no --size
    if args.model is None:
        return {"workload": args.workload or "mlp", "size": size or "S"}
    if args.workload is not None:
        raise UsageError("give --workload (a built-in) or --model (your own model), not both")
    if size is not None:
        raise UsageError("--size picks a built-in workload's preset; size your own model with its knobs (--knob)")
    try:
        return dict(model_spec_fields(args.model))
    except ModelRefError as exc:
        raise UsageError(str(exc)) from None


def spec_from_args(args: argparse.Namespace) -> RunSpec:
    duration = args.duration if args.duration is not None or args.steps is not None else 10.0
    return RunSpec(
        **model_fields(args), device=args.device, batch_size=args.batch_size,
        knobs=parse_knobs(args.knob, typed=args.model is not None), precision=args.precision,
        duration_s=duration, steps=args.steps,
        threads=args.threads, channels_last=args.channels_last, compile=args.compile,
        input_pipeline=args.input_pipeline, loader_workers=args.loader_workers,
        pin_memory=getattr(args, "pin_memory", True), loader_delay_ms=getattr(args, "loader_delay_ms", 0.0),
        allocator="" if getattr(args, "allocator", "default") == "default" else args.allocator,
        name=args.name,
        phase_every=args.phase_every,
    )


def trace_from_args(args: argparse.Namespace) -> TraceRequest | None:
    """The ``--trace``/``--trace-steps`` request, checked (UsageError) before anything runs."""
    if args.trace is None:
        if args.trace_steps is not None:
            raise UsageError("--trace-steps needs --trace FILE")
        return None
    if args.trace == "-":
        raise UsageError("--trace needs a file name; a trace does not go to stdout")
    steps = DEFAULT_TRACE_STEPS if args.trace_steps is None else args.trace_steps
    if steps <= 0:
        raise UsageError(f"--trace-steps must be a positive number of steps, got {steps}")
    if args.json and args.json != "-" and os.path.abspath(args.json) == os.path.abspath(args.trace):
        raise UsageError("--trace and --json name the same file")
    check_output(args.trace, getattr(args, "model", None) or "")
    return TraceRequest(args.trace, steps)


def cmd_run(args: argparse.Namespace) -> int:
    from profiler.cli.boundary import error
    from profiler.cli.progress import ProgressLine
    from profiler.events import EventBus
    from profiler.history import recording
    from profiler.runner import SpecError, validate_spec
    from profiler.runner.fit import DoesNotFit
    from profiler.runner.quiet import QuietReader
    from profiler.worker.run_one import run_one

    machine = QuietReader()  # the machine is read from here to the gate: over the checks below
    spec = spec_from_args(args)
    check_output(args.json, spec.model)
    trace = trace_from_args(args)
    try:
        with interrupt_on_signals():  # the model check runs the user's code in a child: stop it too
            device_info = validate_spec(spec)
    except DoesNotFit as exc:  # valid input, too small a machine: one line, exit 1, nothing allocated
        error(exc)
        return EXIT_FAILED
    except SpecError as exc:
        raise usage_error(exc) from None
    stop, _reading = gate(args, machine)
    if stop is not None:
        return stop
    bus, cancel = EventBus(), threading.Event()
    outcomes: list[HistoryOutcome] = []
    progress = ProgressLine(spec, sys.stderr)
    bus.subscribe(progress)
    record = None if args.no_history else partial(recording, on_outcome=outcomes.append)
    quiet_stdout = stdout_kept_for_data() if args.json == "-" else nullcontext()
    with stop_on_signals(cancel) as stopper:  # also while reporting: a late SIGTERM must not lose the JSON
        with quiet_stdout:
            result = run_one(spec, bus, cancel, run_id=_new_run_id(), device_info=device_info, trace=trace,
                             record=record)
        progress.done()
        code = _report(args, result.to_dict(), outcomes[0] if outcomes else None)
    return stopper.exit_code(code) if code == EXIT_OK or stopper.signum is not None else code


def _new_run_id() -> str:
    from profiler.results.result import new_run_id

    return new_run_id()


def _report(args: argparse.Namespace, data: dict[str, Any], outcome: HistoryOutcome | None) -> int:
    """Write the JSON, print the summary and what history kept; the exit code (0 or 1)."""
    from profiler.cli.summary import render_summary
    from profiler.results.result import RunState

    code = EXIT_FAILED if data["status"] in (RunState.FAILED, RunState.OOM) else EXIT_OK
    if args.json:
        text = json.dumps(data, indent=2, allow_nan=False, default=str)
        try:
            write_text(args.json, text)
        except OutputWriteError as exc:
            say(f"horsepower: error: {units.plain(exc)}; {_where_kept(data, text, outcome)}")
            code = EXIT_FAILED
    try:
        print(render_summary(data), file=sys.stderr if args.json == "-" else sys.stdout, flush=True)
    except (OSError, ValueError):  # the terminal is gone (SIGHUP): the JSON and history are what count
        pass
    if outcome is not None and outcome.message:
        where = "the summary above and the --json result have" if args.json and code == EXIT_OK \
            else "the summary above has"
        say(f"horsepower: warning: {units.plain(outcome.message)}; {where} every measured step")
    for notice in outcome.notices if outcome is not None else ():
        say(f"horsepower: notice: {units.plain(notice)}")
    return code


def _where_kept(data: dict[str, Any], text: str, outcome: HistoryOutcome | None) -> str:
    run_id = str(data["run_id"])
    if outcome is not None and outcome.final_stored:
        return f"the run is in history as {run_id} (`horsepower export {run_id} --json FILE` writes it)"
    rescued = rescue_copy(run_id, text)
    if rescued:
        return f"the result was saved to {rescued} instead"
    return "the result could not be saved anywhere; the summary below is all that is left"
