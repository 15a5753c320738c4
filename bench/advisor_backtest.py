"""Back-test the advisor on this machine: calibrate on one measured CPU configuration, predict
the others, then compare with what they measured.

Each configuration is measured with ``horsepower run`` in its own process (short window, no
history), ``--repeat`` times in round-robin order; the fastest repeat is kept (the least
disturbed by other processes on a shared machine). The anchor's efficiency on this CPU is then
carried to every other configuration as ``horsepower advise`` carries it to a slice of the same
part (other thread counts, batch sizes, widths, workloads): the prediction sees the other runs'
counted FLOPs and parameters, never their throughput. With ``--all-pairs`` every run is the anchor in turn.

    python bench/advisor_backtest.py                   # default set, 4 s windows (~3 min)
    python bench/advisor_backtest.py --duration 2 --quick
    python bench/advisor_backtest.py --all-pairs --json out.json
    python bench/advisor_backtest.py --reference-out resources/reference_runs   # on a lent GPU

Shared, busy machines make every measurement noisy (the load average is printed); the lead
reruns the figures on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (label, run arguments); the first is the anchor
CONFIGS: list[tuple[str, list[str]]] = [
    ("mlp-S bs256 1t", ["--workload", "mlp", "--batch-size", "256", "--threads", "1"]),
    ("mlp-S bs64 1t", ["--workload", "mlp", "--batch-size", "64", "--threads", "1"]),
    ("mlp-S bs1024 1t", ["--workload", "mlp", "--batch-size", "1024", "--threads", "1"]),
    ("mlp w512 bs256 1t", ["--workload", "mlp", "--batch-size", "256", "--threads", "1", "--knob", "width=512"]),
    ("mlp w2048 bs256 1t", ["--workload", "mlp", "--batch-size", "256", "--threads", "1", "--knob", "width=2048"]),
    ("mlp-S bs256 2t", ["--workload", "mlp", "--batch-size", "256", "--threads", "2"]),
    ("cnn-S bs64 1t", ["--workload", "cnn", "--threads", "1"]),
    ("gpt-S bs16 1t", ["--workload", "gpt", "--threads", "1"]),
    ("lstm-S bs32 1t", ["--workload", "lstm", "--threads", "1"]),
    ("mlp-S bs256 1t bf16", ["--workload", "mlp", "--batch-size", "256", "--threads", "1", "--precision", "bf16"]),
]
QUICK = {"mlp-S bs256 1t", "mlp-S bs1024 1t", "mlp-S bs256 2t", "cnn-S bs64 1t", "gpt-S bs16 1t"}


def measure(label: str, args: list[str], duration: float, out_dir: Path) -> dict[str, Any] | None:
    out = out_dir / (label.replace(" ", "_") + ".json")
    cmd = [sys.executable, "-m", "profiler.cli", "run", *args, "--duration", str(duration), "--json", str(out),
           "--no-history"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 or not out.exists():
        print(f"  {label}: run failed ({proc.returncode}): {proc.stderr.strip()[-200:]}", file=sys.stderr)
        return None
    run: dict[str, Any] = json.loads(out.read_text())
    print(f"  measured {label}: {run['samples_per_s']:,.0f} samples/s "
          f"(step CV {(run.get('step_time_s') or {}).get('cv') or 0:.0%})", file=sys.stderr)
    return run


def predict(anchor: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    """The advisor's projection of ``target`` from ``anchor`` alone (same CPU part)."""
    from profiler.analysis.advisor import load_catalogue
    from profiler.analysis.advisor.census import step_facts
    from profiler.analysis.advisor.efficiency import choose, measure_point, model_key
    from profiler.analysis.advisor.project import project, run_device
    from profiler.results.result import RunResult

    catalogue = load_catalogue(use_overrides=False)
    anchor_run, target_run = RunResult.from_dict(anchor), RunResult.from_dict(target)
    anchor_device, how = run_device(anchor_run, catalogue)
    target_device, _ = run_device(target_run, catalogue)
    if anchor_device is None or target_device is None:
        raise SystemExit(f"this CPU is not in the catalogue: {how}")
    point = measure_point(anchor_run, anchor_device, "subject")
    assert point is not None
    # the target's own timing is never read: only its spec, batch and counted FLOPs
    choice = choose(target_device, point, [], model_key(target_run), target_run.spec.precision)
    projection = project(step_facts(target_run), target_device, target_run.spec.precision, choice)
    band = projection.samples_per_s
    measured = float(target["samples_per_s"])
    if band is None:
        return {"predicted": None, "measured": measured, "inside": False, "reason": projection.reason}
    return {"predicted": band.to_dict(), "measured": measured, "error": measured / band.nominal - 1.0,
            "inside": band.contains(measured), "bound": projection.bound, "efficiency": point.efficiency,
            "device": target_device.name}


def _model(label: str) -> str:
    return label.split()[0] + (" bf16" if "bf16" in label else "")


def groups(results: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Predictions by how far they reach: same model (batch, width, threads), other workload, bf16."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        a, t = r["anchor"], r["target"]
        if ("bf16" in a) != ("bf16" in t):
            key = "other precision (prior only)"
        elif a.split()[0].split("-")[0] == t.split()[0].split("-")[0]:
            key = "same workload: batch, width or threads"
        else:
            key = "other workload"
        out.setdefault(key, []).append(r)
    return out


def reference_copy(run: dict[str, Any], out_dir: Path, name: str | None = None) -> None:
    """Write ``run`` as a reference run (adds the accelerator driver where it can be read),
    named ``<device>-<workload>-<size>-<precision>.json`` unless ``name`` is given."""
    env = dict(run.get("environment") or {})
    version = Path("/proc/driver/nvidia/version")
    if run.get("device") != "cpu" and version.exists():
        env["driver"] = version.read_text().splitlines()[0][:200]
    run = {**run, "environment": env}
    name = name or f"{run['device'].replace(':', '')}-{run['workload']}-{run['size']}-{run['precision']}.json"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / name).write_text(json.dumps(run, indent=1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=4.0, help="timed window per run, s (default 4)")
    parser.add_argument("--quick", action="store_true", help="five configurations only")
    parser.add_argument("--repeat", type=int, default=1, help="rounds; the fastest run per configuration is kept")
    parser.add_argument("--all-pairs", action="store_true", help="every run as the anchor in turn")
    parser.add_argument("--device", default="cpu", help="device to run on (default cpu)")
    parser.add_argument("--json", metavar="FILE", help="write every prediction as JSON")
    parser.add_argument("--reference-out", metavar="DIR", help="also save each run as a reference run")
    args = parser.parse_args()
    configs = [(label, [*a, "--device", args.device]) for label, a in CONFIGS if not args.quick or label in QUICK]
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", file=sys.stderr)
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _round in range(max(1, args.repeat)):
            for label, a in configs:
                run = measure(label, a, args.duration, Path(tmp))
                if run is not None and (label not in runs or run["samples_per_s"] > runs[label]["samples_per_s"]):
                    runs[label] = run
    runs = {label: runs[label] for label, _ in configs if label in runs}  # anchor first
    print(f"load average after: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    if args.reference_out:
        for run in runs.values():
            reference_copy(run, Path(args.reference_out))
    labels = list(runs)
    anchors = labels if args.all_pairs else labels[:1]
    results, inside, total = [], 0, 0
    print(f"\n{'anchor':22s} {'target':22s} {'predicted samples/s (band)':>36s} {'measured':>10s} "
          f"{'error':>7s}  in band")
    for anchor in anchors:
        for target in labels:
            if target == anchor:
                continue
            r = predict(runs[anchor], runs[target])
            results.append({"anchor": anchor, "target": target, **r})
            if r["predicted"] is None:
                print(f"{anchor:22s} {target:22s} {r['reason']:>36s}")
                continue
            p = r["predicted"]
            band = f"{p['nominal']:,.0f} ({p['low']:,.0f}-{p['high']:,.0f})"
            total += 1
            inside += bool(r["inside"])
            print(f"{anchor:22s} {target:22s} {band:>36s} {r['measured']:>10,.0f} {r['error']:>+7.0%}  "
                  f"{'yes' if r['inside'] else 'NO'}")
    print(f"\n{inside} of {total} measured figures inside the predicted band "
          f"(band factors of efficiency.SAME_PART; machine shared and busy: see the load average)")
    for group, members in groups(results).items():
        hits = sum(bool(r["inside"]) for r in members)
        errors = sorted(abs(r["error"]) for r in members if r.get("error") is not None)
        median = errors[len(errors) // 2] if errors else float("nan")
        print(f"  {group}: {hits} of {len(members)} inside, median |error| {median:.0%}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
