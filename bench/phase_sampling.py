"""Phase sampling: what it costs the reported throughput, and the split and verdict it gives.

``--mode cost`` (default) runs the same workload with phase sampling on (every 10th step on
average, the default) and off, alternating the order each round so drift on a noisy machine
hits both, and prints each round's samples/s ratio (on / off) and the median. Target: >= 0.98.

``--mode split`` prints the phase split and verdict of three runs: the MLP, the CNN through
the DataLoader (``--input-pipeline``), and the MLP fed by a deliberately slow Dataset (the
spec's ``loader_delay_ms``: 1 ms more per sample).

    python bench/phase_sampling.py [--mode cost|split] [--rounds 6] [--seconds 8] [--workload mlp] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

from profiler import units
from profiler.metrics.phases import SHORT_LABELS
from profiler.results.spec import RunSpec
from profiler.runner import run_training


def describe(label: str, data: dict[str, Any]) -> str:
    phases = data["phases"]
    if not phases:
        return f"{label}: no phase split ({data['status']}, {data['timed_steps']} timed steps)"
    split = " | ".join(f"{SHORT_LABELS[n]} {units.percent(phases['fraction'][n], 0)}" for n in phases["order"])
    return (f"{label}: {units.rate(data['samples_per_s'])}, step median "
            f"{units.seconds(data['step_time_s']['median'])}\n"
            f"  split {split} (mean {units.seconds(phases['sampled_step_s'])}, "
            f"{phases['sampled_steps']} sampled, overhead {units.percent(phases['overhead'], 1)}, "
            f"{units.percent(phases['share_of_window'], 1)} of the window)\n"
            f"  {data['verdict']['message']}")


def split_mode(args: argparse.Namespace) -> None:
    runs = [
        ("mlp-S", RunSpec(workload="mlp", device=args.device, duration_s=args.seconds)),
        ("cnn-S --input-pipeline", RunSpec(workload="cnn", device=args.device, duration_s=args.seconds,
                                           input_pipeline=True)),
        ("mlp-S, slow Dataset (1 ms/sample), 2 workers",
         RunSpec(workload="mlp", device=args.device, duration_s=args.seconds, input_pipeline=True,
                 loader_delay_ms=1.0)),
    ]
    for label, spec in runs:
        print(describe(label, run_training(spec).to_dict()), flush=True)


def cost_mode(args: argparse.Namespace) -> None:
    ratios = []
    for round_index in range(args.rounds):
        order = (10, 0) if round_index % 2 == 0 else (0, 10)
        rates = {}
        for every in order:
            spec = RunSpec(workload=args.workload, device=args.device, duration_s=args.seconds, phase_every=every)
            result = run_training(spec)
            assert result.samples_per_s is not None, result.error
            rates[every] = result.samples_per_s
        ratios.append(rates[10] / rates[0])
        print(f"round {round_index + 1}: on {units.rate(rates[10])}  off {units.rate(rates[0])}  "
              f"ratio {ratios[-1]:.3f}", flush=True)
    print(f"median on/off: {statistics.median(ratios):.3f} over {len(ratios)} rounds (target >= 0.98)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("cost", "split"), default="cost")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--workload", default="mlp")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    (split_mode if args.mode == "split" else cost_mode)(args)


if __name__ == "__main__":
    main()
