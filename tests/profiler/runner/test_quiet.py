"""Waiting for quiet: bounded, cancellable, never without a terminal unless asked; the probe's
quiet line. The clock, the pause and the machine's readings are faked; the loop is real."""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from profiler.cli import main
from profiler.cli.common import EXIT_INTERRUPTED
from profiler.cli.quiet_gate import gate
from profiler.devices.hardware_peak import HardwarePeak
from profiler.runner import quiet as quiet_module
from profiler.runner.quiet import QuietReading, QuietWait, WaitProgress, wait_for_quiet
from profiler.workloads.ceiling_cache import Ceiling

BUSY, CALM = QuietReading(60.0, 3.2, 2, None), QuietReading(4.0, 0.5, 2, None)


class FakeTime:
    """A clock that moves only when the loop pauses; ``cancel_at`` makes the nth pause report
    a cancel (as Ctrl-C or the window's Cancel would)."""

    def __init__(self, cancel_at: int | None = None) -> None:
        self.t = 100.0
        self.pauses = 0
        self.cancel_at = cancel_at

    def clock(self) -> float:
        return self.t

    def pause(self, seconds: float) -> bool:
        self.pauses += 1
        self.t += seconds
        return self.cancel_at is not None and self.pauses >= self.cancel_at


def readings(*plan: tuple[int, QuietReading]) -> Callable[[], QuietReading]:
    """``plan``: (how many reads, reading) in turn; the last one repeats."""
    def gen() -> Iterator[QuietReading]:
        for n, reading in plan:
            yield from [reading] * n
        while True:
            yield plan[-1][1]
    it = gen()
    return lambda: next(it)


def test_a_machine_that_stays_busy_is_waited_on_for_the_limit_only() -> None:
    time = FakeTime()
    seen: list[WaitProgress] = []
    state = wait_for_quiet(60.0, readings((1, BUSY)), seen.append, clock=time.clock, pause=time.pause)
    assert state.outcome == "timed_out" and state.waited_s == 60.0
    assert time.pauses == 60 and len(seen) == 60  # one reading a second, then it stops
    assert "waiting for quiet: other processes use 60% of the CPU" in seen[0].line()
    assert "1 s of 60 s" in seen[0].line() and "still busy after the wait" in state.line()


def test_quiet_needs_to_last_the_settle_time() -> None:
    time = FakeTime()
    state = wait_for_quiet(60.0, readings((5, BUSY), (1, CALM), (1, BUSY), (1, CALM)), clock=time.clock,
                           pause=time.pause)
    assert state.outcome == "quiet" and state.waited_s == 11.0  # quiet from 8 s, for 3 s
    assert state.reading == CALM


def test_the_wait_is_cancellable() -> None:
    time = FakeTime(cancel_at=4)
    seen: list[WaitProgress] = []
    state = wait_for_quiet(60.0, readings((1, BUSY)), seen.append, clock=time.clock, pause=time.pause)
    assert state.outcome == "cancelled" and state.waited_s == 4.0 and seen[-1] is state
    wait = QuietWait(10.0)
    wait.update(BUSY, 1.0)
    assert wait.cancel(2.0).outcome == "cancelled"


def args(**kw: Any) -> argparse.Namespace:
    return argparse.Namespace(**{"wait_for_quiet": None, "no_wait": False, **kw})


class FakeReader:
    def __init__(self, *plan: tuple[int, QuietReading]) -> None:
        self.read = readings(*plan)

    def since_last_s(self) -> float:
        return 1.0


def test_without_a_terminal_a_busy_machine_is_said_and_never_waited_on() -> None:
    out = io.StringIO()
    waited: list[float] = []
    stop, reading = gate(args(), FakeReader((1, BUSY)), out, interactive=False,
                         wait=lambda limit, *a: waited.append(limit))  # type: ignore[arg-type,func-returns-value]
    assert stop is None and reading.busy and not waited
    text = out.getvalue()
    assert "the machine is busy" in text and "not waiting without a terminal" in text
    assert "marked as measured on a busy machine" in text
    out = io.StringIO()
    assert gate(args(), FakeReader((1, CALM)), out, interactive=True)[0] is None and out.getvalue() == ""


def test_on_a_terminal_it_waits_bounded_and_ctrl_c_runs_nothing() -> None:
    out = io.StringIO()
    time = FakeTime()

    def wait(limit: float, read: Callable[[], QuietReading], progress: Any) -> WaitProgress:
        return wait_for_quiet(limit, read, progress, clock=time.clock, pause=time.pause)

    stop, _reading = gate(args(wait_for_quiet=5.0), FakeReader((1, BUSY)), out, interactive=True, wait=wait)
    assert stop is None and time.t == 105.0
    assert "waiting up to 5 s for quiet (Ctrl-C cancels the run)" in out.getvalue()
    assert "still busy after 5 s: running anyway" in out.getvalue()

    def interrupted(*a: Any) -> WaitProgress:
        raise KeyboardInterrupt

    out = io.StringIO()
    stop, _ = gate(args(), FakeReader((1, BUSY)), out, interactive=True, wait=interrupted)
    assert stop == EXIT_INTERRUPTED and "nothing was run" in out.getvalue()
    out = io.StringIO()
    assert gate(args(no_wait=True), FakeReader((1, BUSY)), out, interactive=True, wait=interrupted)[0] is None
    assert "--no-wait" in out.getvalue()


@pytest.mark.parametrize("value", ["-1", "nan", "1e9"])
def test_a_bad_wait_is_one_line_and_exit_2(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--wait-for-quiet", value, "--steps", "1", "--no-history"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--wait-for-quiet" in err[0]


def test_probe_states_how_quiet_the_machine_was_in_one_line(monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from profiler.devices import hardware_peak
    from profiler.workloads import ceiling_cache, probes

    monkeypatch.setattr(quiet_module, "read_now", lambda reader=None: QuietReading(37.0, 2.5, 2, None))
    monkeypatch.setattr(hardware_peak, "hardware_peak", lambda *a: HardwarePeak(
        1e11, "ISA table", {"clock_ghz": 2.9, "clock_method": "measured: dependent-add chain on 2 cores"}))
    monkeypatch.setattr(ceiling_cache, "ceiling_for", lambda *a, **k: Ceiling(5e10, "cached", {}, (), True))
    monkeypatch.setattr(probes, "memory_bandwidth", lambda *a, **k: SimpleNamespace(value=1e10))
    assert main(["probe", "--threads", "1"]) == 0
    lines = [x for x in capsys.readouterr().out.splitlines() if "machine before probing" in x]
    assert len(lines) == 1
    assert ("BUSY: other processes use 37% of the CPU (busy above 15%) · load 2.5 on 2 CPUs · "
            "clock 2.90 GHz (measured)") in lines[0]
