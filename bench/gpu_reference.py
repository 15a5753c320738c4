"""Reference runs on a lent GPU, and the advisor's blind prediction of each (issue 20).

Trains the built-in workloads and two ``hf:`` models at fp32, tf32 and bf16 on the GPU, each
with ``horsepower run`` in its own process, then asks ``horsepower advise RUN --json`` what it
would have predicted for that GPU had the run never been measured (its calibration entry: the
corpus model's figure and band, this run left out). Prints one JSON line per configuration and
a summary; writes every completed run as a dated reference run (machine, driver, torch) into
``--out`` and the lines into ``--out``/gpu_reference.jsonl.

    python bench/gpu_reference.py --out $OUT                       # on the GPU: ~6-8 min
    python bench/gpu_reference.py --only gpt,hf:gpt2 --precisions bf16 --out $OUT
    python bench/gpu_reference.py --dry-run --only mlp --precisions fp32 --out /tmp/ref

``hf:`` models need ``transformers`` (the lent machines' image has it; here, ``pip install -e
'.[hf]'``). ``--dry-run``
runs on the CPU with a 1 s window to check the script where there is no GPU (fp32 only: the
CPU has no TF32). Reference files go to resources/reference_runs/ only when a person copies
them there after reading the summary.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.advisor_backtest import reference_copy  # noqa: E402  (after the path is set)

#: (label, run arguments): the built-in workloads at their default size, then two hf: models
#: at a batch and sequence length the published corpus also has
CONFIGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("mlp", ("--workload", "mlp")),
    ("cnn", ("--workload", "cnn")),
    ("gpt", ("--workload", "gpt")),
    ("lstm", ("--workload", "lstm")),
    ("hf:bert-base-uncased", ("--model", "hf:bert-base-uncased", "--batch-size", "32", "--knob", "seq_len=128")),
    ("hf:gpt2", ("--model", "hf:gpt2", "--batch-size", "8", "--knob", "seq_len=1024")),
)
#: in a --dry-run on the CPU the hf: models train small batches of short sequences
DRY_RUN_SHAPE = ("--batch-size", "1", "--knob", "seq_len=64")
PRECISIONS = ("fp32", "tf32", "bf16")
RUN_TIMEOUT_S = 300


def cli(*args: str, timeout: float = RUN_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """``horsepower ARGS`` from this checkout, in its own process."""
    return subprocess.run([sys.executable, "-m", "profiler.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def safe(label: str) -> str:
    """A configuration label as a file name part (``hf:gpt2`` -> ``hf-gpt2``)."""
    return label.replace(":", "-").replace("/", "-")


def why_failed(proc: subprocess.CompletedProcess[str]) -> str:
    """The command's own error line ("error: ..." in its summary or on stderr), else its last line."""
    lines = [line.strip() for line in (proc.stdout + "\n" + proc.stderr).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("error:", "horsepower: error"))]
    return (errors or lines or [""])[-1][:300]


def blind_prediction(advice: dict[str, Any], run_id: str) -> dict[str, Any] | None:
    """The advice's calibration entry for its own run: the prediction made as if the device
    had never been measured, beside what it measured (None when the advice has none)."""
    return next((c for c in advice.get("calibration") or () if c.get("run_id") == run_id), None)


def measure(label: str, args: tuple[str, ...], precision: str, device: str, duration: float,
            work: Path) -> dict[str, Any]:
    """One configuration: the run, then the advisor's blind prediction of it (one JSON-able line)."""
    line: dict[str, Any] = {"kind": "config", "config": label, "precision": precision, "device": device}
    out = work / f"{safe(label)}-{precision}.json"
    ran = cli("run", *args, "--device", device, "--precision", precision, "--duration", str(duration),
              "--json", str(out), "--no-history")
    if ran.returncode != 0 or not out.exists():
        return {**line, "failed": f"run failed ({ran.returncode}): {why_failed(ran)}"}
    run = json.loads(out.read_text())
    line.update(run_id=run["run_id"], status=run["status"], device_name=(run.get("device_info") or {}).get("name"),
                batch=run.get("batch_size"), measured=run.get("samples_per_s"),
                mfu=run.get("mfu"), path=str(out))
    advised = cli("advise", str(out), "--json", timeout=120)
    if advised.returncode != 0:
        return {**line, "failed": f"advise failed ({advised.returncode}): {why_failed(advised)}"}
    advice = json.loads(advised.stdout)
    entry = blind_prediction(advice, run["run_id"])
    if entry is None:
        why = "; ".join(advice.get("warnings") or ()) or "is the device in the catalogue?"
        return {**line, "failed": f"no blind prediction for this device: {why}"[:400]}
    band = entry["predicted_samples_per_s"]
    return {**line, "predicted": band["nominal"], "low": band["low"], "high": band["high"],
            "error": entry["error"], "inside": entry["inside_band"], "predicted_from": entry["predicted_from"]}


def summary(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """How many configurations were predicted, how many inside their band, the median |error|
    (measured / predicted - 1) of those, and why each other one was not."""
    scored = [ln for ln in lines if "failed" not in ln]
    failed = [f"{ln['config']} {ln['precision']}: {ln['failed']}" for ln in lines if "failed" in ln]
    errors = [abs(ln["error"]) for ln in scored]
    return {"kind": "summary", "configs": len(lines), "predicted": len(scored),
            "inside": sum(bool(ln["inside"]) for ln in scored),
            "median_abs_error": statistics.median(errors) if errors else None, "failed": failed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="folder for the reference runs and gpu_reference.jsonl")
    parser.add_argument("--duration", type=float, default=6.0, help="timed window per run, s (default 6)")
    parser.add_argument("--only", help="comma-separated configuration labels (default: all)")
    parser.add_argument("--precisions", default=",".join(PRECISIONS), help="comma-separated (default fp32,tf32,bf16)")
    parser.add_argument("--device", default="cuda", help="device to train on (default cuda)")
    parser.add_argument("--dry-run", action="store_true", help="on the CPU, 1 s windows: checks the script")
    args = parser.parse_args(argv)
    labels = [label for label, _ in CONFIGS]
    only = args.only.split(",") if args.only else labels
    unknown = [name for name in only if name not in labels]
    precisions = args.precisions.split(",")
    if unknown or not set(precisions) <= set(PRECISIONS):
        parser.error(f"--only takes {', '.join(labels)}; --precisions takes {', '.join(PRECISIONS)}")
    device, duration = ("cpu", 1.0) if args.dry_run else (args.device, args.duration)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    lines: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, run_args in CONFIGS:
            if label not in only:
                continue
            if args.dry_run and label.startswith("hf:"):
                run_args = (*run_args[:2], *DRY_RUN_SHAPE)
            for precision in precisions:
                line = measure(label, run_args, precision, device, duration, Path(tmp))
                if line.get("status") == "completed":
                    reference_copy(json.loads(Path(line["path"]).read_text()), out_dir,
                                   f"{device.replace(':', '')}-{safe(label)}-{precision}.json")
                line.pop("path", None)
                print(json.dumps(line), flush=True)
                lines.append(line)
    total = summary(lines)
    print(json.dumps(total), flush=True)
    (out_dir / "gpu_reference.jsonl").write_text("".join(json.dumps(ln) + "\n" for ln in [*lines, total]))
    return 0 if total["predicted"] else 1


if __name__ == "__main__":
    sys.exit(main())
