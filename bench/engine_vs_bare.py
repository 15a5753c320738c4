"""Engine overhead and probe effect: a Horsepower run vs a hand-written bare loop of the same model.

Four variants, each in a fresh process (allocator state is per process: a probe in one variant
must not reach another):

- ``bare``: the loop a user would write (same model, batch, precision, threads, optimizer, data).
- ``bare+probe``: the same loop after one 2048x2048 fp32 matmul probe in the same process (what
  the engine did before issue 10: the freed buffers raise glibc's dynamic mmap threshold).
- ``engine``: ``run_training`` as a user runs it (10 Hz sampler, events; the hardware peak's
  microbenchmark runs in a child process; the GEMM ceiling is read from the cache only).
- ``engine+probe``: the engine after the same in-process probe.

Rounds rotate the order so drift on a noisy machine hits every variant. Prints each round, the
median samples/s and minor page faults per variant, and the ratios. Targets: engine / bare
0.97-1.03; bare+probe / bare shows how large the old probe's effect is on this machine.

    python bench/engine_vs_bare.py [--rounds 6] [--seconds 8] [--workload mlp] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

VARIANTS = ("bare", "bare+probe", "engine", "engine+probe")
REPO = Path(__file__).resolve().parents[1]


def _probe() -> None:
    """The old engine's in-process peak probe: a 2048x2048 fp32 matmul, freed before the loop."""
    import torch

    from profiler.workloads.probes import matmul_peak

    matmul_peak("cpu", torch.float32, seconds=1.0, n=2048)


def _bare(workload: str, size: str, seconds: float, warmup_steps: int) -> float:
    """The loop a user would write by hand; samples/s over the timed part."""
    import torch

    from profiler.workloads import get_workload

    built = get_workload(workload).build("cpu", size, None, {})
    model, loss_fn = built.model, built.loss_fn
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    model.train()

    def step() -> None:
        x, y = built.make_batch()
        loss = loss_fn(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss.item()  # a real loop logs its loss too

    for _ in range(warmup_steps):
        step()
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        steps += 1
    return steps * built.samples_per_step / (time.perf_counter() - start)


def _engine(workload: str, size: str, seconds: float) -> tuple[float, int]:
    import torch

    from profiler.results.spec import RunSpec
    from profiler.runner import run_training

    result = run_training(RunSpec(workload=workload, size=size, duration_s=seconds, threads=torch.get_num_threads()))
    assert result.samples_per_s is not None, result.error
    return result.samples_per_s, result.warmup_steps


def child(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(args.threads)
    if args.child.endswith("+probe"):
        _probe()
    faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    if args.child.startswith("bare"):
        rate, warmup = _bare(args.workload, args.size, args.seconds, args.warmup), args.warmup
    else:
        rate, warmup = _engine(args.workload, args.size, args.seconds)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0
    print(json.dumps({"variant": args.child, "samples_per_s": rate, "warmup_steps": warmup, "minor_faults": faults}))


def run_child(variant: str, args: argparse.Namespace, warmup: int) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", variant, "--workload", args.workload, "--size", args.size,
           "--seconds", str(args.seconds), "--threads", str(args.threads), "--warmup", str(warmup)]
    env = {**os.environ, "HORSEPOWER_CEILING": "cached", "PYTHONPATH": str(REPO)}
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
    parser.add_argument("--warmup", type=int, default=20, help="bare loop warm-up steps (child use)")
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print(f"workload {args.workload}-{args.size}, {args.threads} threads, {args.seconds:g} s windows, "
          f"{args.rounds} rounds, each variant in a fresh process")
    first = run_child("engine", args, 0)  # warms OS caches; its warm-up count sizes the bare loop's
    warmup = int(first["warmup_steps"])
    rates: dict[str, list[float]] = {v: [] for v in VARIANTS}
    faults: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for i in range(args.rounds):
        order = VARIANTS[i % len(VARIANTS):] + VARIANTS[:i % len(VARIANTS)]
        row = {}
        for variant in order:
            out = run_child(variant, args, warmup)
            rates[variant].append(out["samples_per_s"])
            faults[variant].append(out["minor_faults"])
            row[variant] = out["samples_per_s"]
        print(f"round {i + 1}: " + "  ".join(f"{v} {row[v]:,.0f}" for v in VARIANTS)
              + f"  engine/bare {row['engine'] / row['bare']:.3f}")
    med = {v: statistics.median(rates[v]) for v in VARIANTS}
    for v in VARIANTS:
        print(f"{v:<13} median {med[v]:,.0f} samples/s  minor page faults {statistics.median(faults[v]):,.0f}")
    per_round = [e / b for e, b in zip(rates["engine"], rates["bare"], strict=True)]
    print(f"engine / bare:        {statistics.median(per_round):.3f} (median of rounds; target 0.97-1.03)")
    print(f"bare+probe / bare:    {med['bare+probe'] / med['bare']:.3f} (the old in-process probe's effect)")
    print(f"engine+probe / bare:  {med['engine+probe'] / med['bare']:.3f} (the engine before issue 10)")


if __name__ == "__main__":
    main()
