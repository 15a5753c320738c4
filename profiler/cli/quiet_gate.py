"""Before ``horsepower run`` measures: is the machine busy, and should the run wait for quiet?

On a terminal a busy machine is waited on for up to ``--wait-for-quiet`` seconds (default 60)
with a progress line; Ctrl-C cancels the run (nothing is run or stored). Used without a
terminal (a script, CI) it never waits unless ``--wait-for-quiet`` is given, so it never hangs:
it says the machine is busy and runs. Either way, a run that stays busy is marked "measured on
a busy machine" by its result (``metrics.contention``). ``--no-wait`` never waits.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from profiler.cli.common import EXIT_INTERRUPTED, UsageError
from profiler.metrics.contention import DEFAULT_WAIT_S

if TYPE_CHECKING:  # the runner imports torch: loaded when a run starts, not for `--help`
    from profiler.runner.quiet import QuietReader, QuietReading, WaitProgress

#: the longest wait a user may ask for (s): a day
MAX_WAIT_S = 86_400.0
MARKED = "a run that stays busy is marked as measured on a busy machine"


def add_wait_arguments(parser: Any) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--wait-for-quiet", type=float, metavar="SECONDS",
                       help=f"when other processes keep the CPU busy, wait up to SECONDS for quiet before "
                            f"measuring (default {DEFAULT_WAIT_S:.0f} on a terminal; without a terminal the run "
                            "does not wait unless this is given); Ctrl-C cancels")
    group.add_argument("--no-wait", action="store_true", help="never wait for quiet (a busy run is marked)")


def wait_limit_s(args: argparse.Namespace, interactive: bool) -> float:
    """How long to wait for quiet (s): the option's, else the default on a terminal, else 0."""
    value = getattr(args, "wait_for_quiet", None)
    if getattr(args, "no_wait", False):
        return 0.0
    if value is None:
        return DEFAULT_WAIT_S if interactive else 0.0
    if not math.isfinite(value) or not 0 <= value <= MAX_WAIT_S:
        raise UsageError(f"--wait-for-quiet takes 0 to {MAX_WAIT_S:.0f} seconds, got {value}")
    return float(value)


def interactive_session() -> bool:
    """A person is watching: stdin and stderr are terminals."""
    try:
        return sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class _Progress:
    """The wait's progress on ``out``: one rewritten line on a terminal, a line each 10 s elsewhere."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self._printed = -math.inf

    def __call__(self, state: WaitProgress) -> None:
        line = f"horsepower: {state.line()}"
        try:
            if self.tty:
                end = "\n" if state.outcome != "waiting" else ""
                print(f"\r{line}\x1b[K", end=end, file=self.out, flush=True)
            elif state.outcome != "waiting" or state.waited_s - self._printed >= 10.0:
                self._printed = state.waited_s
                print(line, file=self.out, flush=True)
        except (OSError, ValueError):
            pass


def gate(args: argparse.Namespace, reader: QuietReader, out: TextIO = sys.stderr,
         interactive: bool | None = None, wait: Callable[..., WaitProgress] | None = None,
         ) -> tuple[int | None, QuietReading]:
    """Check the machine (over the time since ``reader`` was made, at least 0.25 s) and wait for
    quiet when it is busy (``wait``: ``runner.quiet.wait_for_quiet``). Returns (an exit code to
    stop with, or None to run; the last reading)."""
    from profiler.runner.quiet import read_now, wait_for_quiet

    interactive = interactive_session() if interactive is None else interactive
    limit = wait_limit_s(args, interactive)
    reading = read_now(reader)
    if not reading.busy:
        return None, reading
    if limit <= 0:
        why = ("--no-wait" if getattr(args, "no_wait", False)
               else "not waiting without a terminal; --wait-for-quiet SECONDS waits")
        _say(out, f"horsepower: warning: the machine is busy ({reading.line()}); {why}: {MARKED}")
        return None, reading
    _say(out, f"horsepower: the machine is busy ({reading.line()}); waiting up to {limit:.0f} s for quiet "
              "(Ctrl-C cancels the run)")
    try:
        state = (wait or wait_for_quiet)(limit, reader.read, _Progress(out))
    except KeyboardInterrupt:
        _say(out, "\nhorsepower: stopped waiting for quiet; nothing was run")
        return EXIT_INTERRUPTED, reading
    if state.outcome == "timed_out":
        _say(out, f"horsepower: warning: still busy after {limit:.0f} s: running anyway; {MARKED}")
    return None, state.reading


def _say(out: TextIO, line: str) -> None:
    try:
        print(line, file=out, flush=True)
    except (OSError, ValueError):
        pass
