"""``horsepower run``: one measured training run with a live progress line and a summary."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from profiler.events import Event, RunNotice, RunStateChanged, StepFinished, TelemetrySample
from profiler.results import format as fmt
from profiler.results.result import RunResult, RunState
from profiler.results.spec import PRECISIONS, SIZES, RunSpec


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="train a sample workload on a device and measure it")
    p.add_argument("--device", default="cpu", help="cpu, cuda:0, mps, xpu:0 (see `horsepower devices`)")
    p.add_argument("--workload", default="mlp", help="mlp, cnn, gpt, lstm")
    p.add_argument("--size", default="S", choices=SIZES, help="size preset (default S)")
    p.add_argument("--batch-size", type=int, help="samples per step (default: the preset's)")
    p.add_argument("--knob", action="append", default=[], metavar="NAME=VALUE",
                   help="override a workload knob, e.g. --knob width=2048 (repeatable)")
    p.add_argument("--precision", default="fp32", choices=PRECISIONS, help="numeric precision (default fp32)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--duration", type=float, help="timed window in seconds (default 10)")
    group.add_argument("--steps", type=int, help="timed window in steps")
    p.add_argument("--threads", type=int, help="CPU threads for torch (default: all cores)")
    p.add_argument("--channels-last", action="store_true", help="channels_last memory format (CNN)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (falls back to eager)")
    p.add_argument("--input-pipeline", action="store_true",
                   help="feed batches from host memory through a DataLoader")
    p.add_argument("--workers", type=int, default=2, help="DataLoader workers in --input-pipeline mode")
    p.add_argument("--isolated", action="store_true", help="run in a supervised worker process")
    p.add_argument("--name", default="", help="a name for this run")
    p.add_argument("--json", metavar="FILE", help="write the result as JSON to FILE ('-' for stdout)")
    p.add_argument("--no-history", action="store_true", help="do not store this run in the history")
    p.set_defaults(func=cmd_run)


def spec_from_args(args: argparse.Namespace) -> RunSpec:
    from profiler.cli_errors import UsageError

    knobs: dict[str, int] = {}
    for item in args.knob:
        name, sep, value = item.partition("=")
        if not sep or not value.strip().lstrip("-").isdigit():
            raise UsageError(f"--knob takes NAME=INTEGER, got {item!r}")
        knobs[name.strip()] = int(value)
    duration = args.duration if args.duration is not None or args.steps is not None else 10.0
    return RunSpec(
        workload=args.workload, device=args.device, size=args.size, batch_size=args.batch_size, knobs=knobs,
        precision=args.precision, duration_s=duration, steps=args.steps, threads=args.threads,
        channels_last=args.channels_last, compile=args.compile, input_pipeline=args.input_pipeline,
        loader_workers=args.workers, name=args.name,
    )


def check_output_path(path: str | None) -> None:
    from profiler.cli_errors import UsageError

    if not path or path == "-":
        return
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"cannot write {path}: directory {parent} does not exist")
    if os.path.isdir(path):
        raise UsageError(f"cannot write {path}: it is a directory")


def cmd_run(args: argparse.Namespace) -> int:
    from profiler.cli_errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, UsageError
    from profiler.events import EventBus
    from profiler.runner import SpecError, run_training, validate_spec

    spec = spec_from_args(args)
    check_output_path(args.json)
    try:
        validate_spec(spec)
    except SpecError as exc:
        raise UsageError(str(exc)) from None
    bus = EventBus()
    cancel = threading.Event()
    progress = ProgressLine(spec, sys.stderr)
    bus.subscribe(progress)
    recorder = _history_recorder(bus, spec) if not args.no_history else None
    with _sigint_sets(cancel):
        if args.isolated:
            from profiler.worker import supervise

            result = supervise(spec, bus, cancel)
        else:
            result = run_training(spec, bus=bus, cancel=cancel)
    progress.done()
    if recorder is not None:
        recorder.close()
    print(render_summary(result))
    if args.json:
        write_json(args.json, result.to_dict())
    if result.status in (RunState.FAILED, RunState.OOM):
        return EXIT_FAILED
    return EXIT_INTERRUPTED if cancel.is_set() else EXIT_OK


def _history_recorder(bus: Any, spec: RunSpec) -> Any:
    """Store the run in the history database, if the history package is present and works."""
    try:
        from profiler.history.cli_support import attach_recorder
    except ImportError:
        return None
    try:
        return attach_recorder(bus, spec)
    except Exception as exc:  # history must never stop a measurement
        print(f"horsepower: warning: run not stored in history ({exc})", file=sys.stderr)
        return None


@contextmanager
def _sigint_sets(cancel: threading.Event) -> Iterator[None]:
    """First Ctrl-C asks the run to stop after its current step; a second one aborts."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        print("\nstopping after the current step (Ctrl-C again to abort)...", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def write_json(path: str, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=2, allow_nan=False, default=str)
    if path == "-":
        print(text)
        return
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    os.replace(tmp, path)


class ProgressLine:
    """Bus handler that keeps one status line up to date on a terminal (4 Hz at most)."""

    PERIOD_S = 0.25

    def __init__(self, spec: RunSpec, out: TextIO) -> None:
        self.spec = spec
        self.out = out
        self.tty = out.isatty()
        self.state = "starting"
        self.step = 0
        self.loss: float | None = None
        self.rate: float | None = None
        self.cpu: float | None = None
        self.window_start: float | None = None
        self.t_s = 0.0
        self._last = 0.0
        self._last_line_len = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepFinished):
            self.step, self.t_s = event.step, event.t_s
            self.loss = event.loss
            if event.step_time_s > 0:
                self.rate = event.samples / event.step_time_s
            if event.phase == "timed" and self.window_start is None:
                self.window_start = event.t_s - event.step_time_s
        elif isinstance(event, TelemetrySample) and event.source == "host":
            self.cpu = event.values.get("cpu_util_percent")
        elif isinstance(event, RunStateChanged):
            self.state = event.state
            self._render(force=True)
            return
        elif isinstance(event, RunNotice):
            self._clear()
            print(f"[{event.kind}] {event.message}", file=self.out)
        self._render()

    def _render(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < (self.PERIOD_S if self.tty else 2.0):
            return
        self._last = now
        parts = [f"[{self.state}]"]
        if self.state == RunState.MEASURING and self.window_start is not None and self.spec.duration_s:
            parts.append(f"{min(self.t_s - self.window_start, self.spec.duration_s):.1f}/{self.spec.duration_s:.0f} s")
        if self.step:
            parts += [f"step {self.step}", f"{fmt.count(self.rate)} samples/s"]
        if self.loss is not None:
            parts.append(f"loss {self.loss:.4f}")
        if self.cpu is not None:
            parts.append(f"cpu {self.cpu:.0f}%")
        line = "  ".join(parts)
        if self.tty:
            self.out.write("\r" + line.ljust(self._last_line_len))
            self._last_line_len = len(line)
        else:
            self.out.write(line + "\n")
        self.out.flush()

    def _clear(self) -> None:
        if self.tty and self._last_line_len:
            self.out.write("\r" + " " * self._last_line_len + "\r")
            self._last_line_len = 0

    def done(self) -> None:
        if self.tty:
            self.out.write("\n")
            self.out.flush()


def render_summary(result: RunResult) -> str:
    """The readable summary table printed after a run."""
    d = result.to_dict()
    st = d["step_time_s"]
    tele = d["telemetry"]

    def tmean(key: str, kind: str = "mean") -> float | None:
        return (tele.get(key) or {}).get(kind)

    rows = [
        ("status", d["status"]),
        ("device", f"{d['device']}  {d['device_info'].get('name', '')}"),
        ("workload", f"{d['workload']}-{d['size']}  batch {d['batch_size']}  {d['precision']}"
                     f"  {fmt.count(d['params'])} params"),
        ("samples/s", fmt.count(d["samples_per_s"], 1)),
        ("step time", f"median {fmt.seconds(st['median'])}  p5 {fmt.seconds(st['p5'])}  "
                      f"p95 {fmt.seconds(st['p95'])}  ({st['n']} timed steps, {d['warmup_steps']} warm-up)"),
        ("FLOPs/step", fmt.si(d["flops_per_step"], "FLOP")),
        ("achieved", fmt.flops(d["achieved_flops_per_s"])),
        ("peak (measured)", f"{fmt.flops(d['peak_flops_per_s'])}  {d['peak_source'] or ''}".rstrip()),
        ("MFU", fmt.percent(d["mfu"])),
    ]
    if d["datasheet_peak_flops_per_s"]:
        sheet = fmt.flops(d["datasheet_peak_flops_per_s"])
        rows.append(("MFU (datasheet)", f"{fmt.percent(d['mfu_datasheet'])} of {sheet}"))
    if d["compile_s"] is not None:
        rows.append(("compile time", fmt.seconds(d["compile_s"])))
    if d["input_wait_fraction"] is not None:
        rows.append(("input wait", f"{fmt.percent(d['input_wait_fraction'])} of the timed window"))
    if d["loss_first"] is not None:
        rows.append(("loss", f"{d['loss_first']:.4f} -> {d['loss_last']:.4f}"))
    cpu_mean, cpu_max = fmt.count(tmean("cpu_util_percent")), fmt.count(tmean("cpu_util_percent", "max"))
    rows += [
        ("CPU util", f"mean {cpu_mean}%  max {cpu_max}%"),
        ("process RSS", f"max {fmt.nbytes(tmean('process_rss_bytes', 'max'))}"),
        ("energy", f"{d['energy_j']:.1f} J" if d["energy_j"] is not None else "n/a (no energy counter on this device)"),
    ]
    if tmean("device_power_w") is not None:
        power_max = tmean("device_power_w", "max")
        rows.append(("device power", f"mean {tmean('device_power_w'):.0f} W  max {power_max:.0f} W"))
    lines = [f"\n{result.name}", fmt.table(rows)]
    for w in d["warnings"]:
        lines.append(f"  warning: {w}")
    for n in d["notices"]:
        lines.append(f"  note: {n}")
    if d["error"]:
        lines.append(f"  error: {d['error']}")
    if d["advice"]:
        lines.append(f"  advice: {d['advice']}")
    return "\n".join(lines)
