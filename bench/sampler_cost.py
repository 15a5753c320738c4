"""CPU cost of the telemetry sampler at 10 Hz, as a fraction of one core.

Alternates windows with the sampler running and idle windows without it, measuring this
process's CPU time (user + system) in each; the difference per second of wall time is the
sampler's cost. Also prints the wall time of one tick. Target: <= 1% of one core.

    python bench/sampler_cost.py [--rounds 4] [--seconds 10] [--hz 10]
"""

from __future__ import annotations

import argparse
import statistics
import time

import psutil

from profiler.events import EventBus
from profiler.runner.sampler import TelemetrySampler


def cpu_s(proc: psutil.Process) -> float:
    t = proc.cpu_times()
    return t.user + t.system


def measure(seconds: float, hz: float | None) -> tuple[float, list[float]]:
    proc = psutil.Process()
    sampler = None
    if hz:
        bus = EventBus()
        bus.subscribe(lambda e: None)  # a listener, as in a real run
        sampler = TelemetrySampler("bench", bus, time.perf_counter(), hz=hz)
    before, start = cpu_s(proc), time.perf_counter()
    if sampler:
        sampler.start()
    time.sleep(seconds)
    if sampler:
        sampler.stop()
    used = cpu_s(proc) - before
    return used / (time.perf_counter() - start), list(sampler.sample_cost_s) if sampler else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--hz", type=float, default=10.0)
    args = parser.parse_args()
    costs, ticks = [], []
    for i in range(args.rounds):
        order = [args.hz, None] if i % 2 == 0 else [None, args.hz]
        got = {}
        for hz in order:
            got[hz], t = measure(args.seconds, hz)
            ticks += t
        costs.append(got[args.hz] - got[None])
        print(f"round {i + 1}: sampler {got[args.hz]:.4f} core  idle {got[None]:.4f} core  "
              f"cost {costs[-1] * 100:.2f}% of one core")
    print(f"tick wall time: median {statistics.median(ticks) * 1e6:.0f} us, p95 "
          f"{sorted(ticks)[int(len(ticks) * 0.95)] * 1e6:.0f} us")
    print(f"median sampler cost at {args.hz:g} Hz: {statistics.median(costs) * 100:.2f}% of one core (target <= 1%)")


if __name__ == "__main__":
    main()
