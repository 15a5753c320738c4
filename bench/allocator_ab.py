"""The allocator A/B: mlp-S trained by the engine as it comes vs with glibc's thresholds tuned.

Three variants, each in a fresh process (allocator state is per process), alternating so drift
on a noisy machine hits every variant:

- ``default``: the C allocator as it comes.
- ``tuned``: ``RunSpec(allocator="tuned")``: ``mallopt`` raises glibc's mmap and trim thresholds
  in the training process before it builds the model (``profiler.runner.allocator``).
- ``env``: ``MALLOC_MMAP_THRESHOLD_``/``MALLOC_TRIM_THRESHOLD_`` in the process's environment at
  its start (the same values), for comparison with doing it from inside.

Prints each round, then per variant the median samples/s and minor page faults of the timed
window, and the speedups over ``default`` (median of per-round ratios).

    python bench/allocator_ab.py [--rounds 6] [--seconds 8] [--workload mlp] [--size S] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

VARIANTS = ("default", "tuned", "env")
REPO = Path(__file__).resolve().parents[1]


def child(args: argparse.Namespace) -> None:
    from profiler.results.spec import RunSpec
    from profiler.runner import run_training

    spec = RunSpec(workload=args.workload, size=args.size, duration_s=args.seconds, threads=args.threads,
                   allocator="tuned" if args.child == "tuned" else "")
    result = run_training(spec)
    if result.samples_per_s is None:
        raise SystemExit(f"{args.child}: no figures: {result.error}")
    print(json.dumps({"variant": args.child, "samples_per_s": result.samples_per_s,
                      "minor_faults": result.minor_faults, "timed_steps": len(result.step_times_s)}))


def run_child(variant: str, args: argparse.Namespace) -> dict[str, float]:
    from profiler.runner.allocator import TUNED_ENV

    cmd = [sys.executable, __file__, "--child", variant, "--workload", args.workload, "--size", args.size,
           "--seconds", str(args.seconds), "--threads", str(args.threads)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.update({"HORSEPOWER_CEILING": "cached", "PYTHONPATH": str(REPO)})
    if variant == "env":
        env.update(TUNED_ENV)
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"{variant} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--workload", default="mlp")
    parser.add_argument("--size", default="S")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    sys.path.insert(0, str(REPO))
    print(f"{args.workload}-{args.size}, {args.threads} threads, {args.seconds:g} s timed windows, "
          f"{args.rounds} rounds, each variant in a fresh process, order rotating")
    rates: dict[str, list[float]] = {v: [] for v in VARIANTS}
    faults: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for i in range(args.rounds):
        order = VARIANTS[i % len(VARIANTS):] + VARIANTS[:i % len(VARIANTS)]
        for variant in order:
            out = run_child(variant, args)
            rates[variant].append(out["samples_per_s"])
            faults[variant].append(out["minor_faults"] if out["minor_faults"] is not None else float("nan"))
        print(f"round {i + 1}: " + "  ".join(
            f"{v} {rates[v][-1]:,.0f}/s {faults[v][-1]:,.0f} faults" for v in VARIANTS))
    for v in VARIANTS:
        print(f"{v:<8} median {statistics.median(rates[v]):,.1f} samples/s  "
              f"minor page faults {statistics.median(faults[v]):,.0f} per timed window")
    for v in VARIANTS[1:]:
        ratios = [a / b for a, b in zip(rates[v], rates["default"], strict=True)]
        print(f"{v} / default: {statistics.median(ratios):.3f}x (median of per-round ratios; "
              f"range {min(ratios):.3f}-{max(ratios):.3f})")


if __name__ == "__main__":
    main()
