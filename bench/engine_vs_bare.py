"""Engine overhead: a Horsepower run vs a hand-written bare training loop of the same model.

Both sides train the same MLP (same size, batch, precision, thread count, optimizer) on the
same synthetic data; the engine side also runs its 10 Hz telemetry sampler and publishes
events, as it does for a real run. Rounds alternate the order (bare first, then engine
first) so drift on a noisy machine hits both. Prints each round's ratio and the median.
Target: engine / bare >= 0.97.

    python bench/engine_vs_bare.py [--rounds 6] [--seconds 8] [--workload mlp]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from profiler.results.spec import RunSpec
from profiler.runner import run_training
from profiler.workloads import get_workload


def bare_loop(spec: RunSpec, seconds: float, warmup_steps: int) -> float:
    """The loop a user would write by hand; returns samples/s over the timed part."""
    built = get_workload(spec.workload).build("cpu", spec.size, spec.batch_size, spec.knobs)
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


def engine_run(spec: RunSpec) -> tuple[float, int]:
    result = run_training(spec)
    assert result.samples_per_s is not None, result.error
    return result.samples_per_s, result.warmup_steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--workload", default="mlp")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    spec = RunSpec(workload=args.workload, duration_s=args.seconds, threads=args.threads)
    print(f"workload {spec.workload}-{spec.size}, {args.threads} threads, {args.seconds:.0f} s windows")
    _, warmup = engine_run(spec.replace(duration_s=1.0))  # also warms caches for both sides
    ratios = []
    for i in range(args.rounds):
        if i % 2 == 0:
            bare = bare_loop(spec, args.seconds, warmup)
            eng, _ = engine_run(spec)
        else:
            eng, _ = engine_run(spec)
            bare = bare_loop(spec, args.seconds, warmup)
        ratios.append(eng / bare)
        print(f"round {i + 1}: bare {bare:,.0f} samples/s  engine {eng:,.0f} samples/s  ratio {eng / bare:.3f}")
    print(f"median engine/bare ratio: {statistics.median(ratios):.3f} (target >= 0.97)")


if __name__ == "__main__":
    main()
