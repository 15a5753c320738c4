"""Check our NVIDIA telemetry against nvidia-smi, then measure every workload in bf16.

Run on a machine with an NVIDIA GPU:  python bench/gpu_check.py [--duration-s 12] [--compare 6]

Prints JSON lines:
  {"kind": "device", ...}              torch's name, UUID, our backends, the datasheet peak
  {"kind": "telemetry", ...}           our merged readings beside nvidia-smi's, at the same moment,
                                       while a bf16 matmul load runs (one line per second)
  {"kind": "matmul", ...}              that load's achieved TFLOP/s and its share of the datasheet peak
  {"kind": "workload", ...}            per workload: samples/s, TFLOP/s, MFU (datasheet peak; best GEMM measured here)
  {"kind": "scale", ...}               `horsepower scale` on cuda (NCCL) at 1 rank and, with more GPUs,
                                       2, 4 ... ranks: samples/s, efficiency, time split, all-reduce busbw
Exits 2 with a clear message where there is no usable NVIDIA GPU. About 2-3 minutes on an H200
with the defaults (4 workloads or fewer at 12 s each plus warm-up), plus ~30 s per scale point.

``--only scale`` runs the scale section alone; ``--dry-run`` runs it on the CPU (gloo, one rank,
a few steps) to check this script where there is no GPU.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import torch

# This checkout's engine, also where it is not installed (the GPU machine gets a bare copy).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SMI_FIELDS = (
    "index,uuid,name,utilization.gpu,memory.used,memory.total,power.draw,power.limit,"
    "temperature.gpu,clocks.sm,clocks.mem,clocks.max.sm"
)
# nvidia-smi column -> (our reading key, factor from our unit to nvidia-smi's unit)
PAIRS = {
    "utilization.gpu": ("util_percent", 1.0),
    "memory.used": ("mem_used_bytes", 1 / 2**20),
    "memory.total": ("mem_total_bytes", 1 / 2**20),
    "power.draw": ("power_w", 1.0),
    "power.limit": ("power_limit_w", 1.0),
    "temperature.gpu": ("temp_c", 1.0),
    "clocks.sm": ("sm_clock_mhz", 1.0),
    "clocks.mem": ("mem_clock_mhz", 1.0),
    "clocks.max.sm": ("sm_clock_max_mhz", 1.0),
}


def emit(kind: str, **fields: Any) -> None:
    print(json.dumps({"kind": kind, **fields}, default=str), flush=True)


def query_smi(uuid: str) -> dict[str, Any] | None:
    """nvidia-smi's row for the GPU with this UUID, numbers parsed; None when unavailable."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    out = subprocess.run(
        [exe, f"--query-gpu={SMI_FIELDS}", "--format=csv,noheader,nounits"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    ).stdout
    names = SMI_FIELDS.split(",")
    for line in out.strip().splitlines():
        row = dict(zip(names, (c.strip() for c in line.split(",")), strict=False))
        if row.get("uuid", "").removeprefix("GPU-") == uuid.removeprefix("GPU-"):
            for key in PAIRS:
                try:
                    row[key] = float(row[key])
                except (KeyError, ValueError):
                    row[key] = None
            return row
    return None


class MatmulLoad:
    """bf16 matmuls on cuda:0 in a background thread until stopped; counts FLOPs done."""

    def __init__(self, n: int = 8192) -> None:
        self.n = n
        self.flops = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="matmul-load", daemon=True)
        self.elapsed_s = 0.0

    def _run(self) -> None:
        a = torch.randn(self.n, self.n, device="cuda:0", dtype=torch.bfloat16)
        b = torch.randn(self.n, self.n, device="cuda:0", dtype=torch.bfloat16)
        for _ in range(3):
            a @ b
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        while not self._stop.is_set():
            for _ in range(20):
                a @ b
            torch.cuda.synchronize()
            self.flops += 20 * 2.0 * self.n**3
        self.elapsed_s = time.perf_counter() - t0

    def __enter__(self) -> MatmulLoad:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def compare_telemetry(uuid: str, seconds: int, peak: tuple[float, str] | None) -> None:
    from profiler.devices.registry import close_backends, merge_readings, open_backends

    backends = open_backends("cuda:0", device_uuid=uuid)
    emit(
        "backends",
        names=[b.backend for b in backends],
        missing={k: v for b in backends for k, v in b.capabilities.missing_reasons.items()},
    )
    try:
        with MatmulLoad() as load:
            time.sleep(2.0)  # let clocks and the 1 s power average settle
            for i in range(seconds):
                ours = merge_readings(backends)
                smi = query_smi(uuid)
                pairs = {}
                for col, (key, factor) in PAIRS.items():
                    mine = ours.get(key)
                    pairs[col] = {
                        "ours": None if mine is None else round(mine * factor, 2),
                        "nvidia_smi": None if smi is None else smi.get(col),
                    }
                emit(
                    "telemetry",
                    i=i,
                    pairs=pairs,
                    energy_j=ours.get("energy_j"),
                    throttle_reasons=ours.get("throttle_reasons"),
                )
                time.sleep(1.0)
        achieved = load.flops / load.elapsed_s if load.elapsed_s else None
        emit(
            "matmul",
            n=load.n,
            tflops=achieved and achieved / 1e12,
            datasheet_tflops=peak and peak[0] / 1e12,
            share_of_datasheet=(achieved / peak[0]) if (achieved and peak) else None,
        )
    finally:
        close_backends(backends)


def run_workloads(names: list[str], duration_s: float) -> None:
    try:
        from profiler.results.spec import RunSpec
        from profiler.runner import run_training
    except ImportError as exc:
        emit("error", message=f"profiler.runner is not available: {exc}")
        return
    for name in names:
        t0 = time.perf_counter()
        try:
            result = run_training(RunSpec(workload=name, device="cuda:0", precision="bf16", duration_s=duration_s))
            d = result.to_dict()
        except Exception as exc:
            emit("workload", workload=name, error=f"{type(exc).__name__}: {exc}")
            continue
        achieved = d.get("achieved_flops_per_s")
        emit(
            "workload",
            workload=name,
            status=d.get("status"),
            batch_size=d.get("batch_size"),
            samples_per_s=d.get("samples_per_s"),
            achieved_tflops=achieved and achieved / 1e12,
            mfu=d.get("mfu"),
            peak_tflops=d.get("peak_flops_per_s") and d["peak_flops_per_s"] / 1e12,
            peak_source=d.get("peak_source"),
            peak_inputs=d.get("peak_inputs"),
            mfu_ceiling=d.get("mfu_ceiling"),
            ceiling_tflops=d.get("ceiling_flops_per_s") and d["ceiling_flops_per_s"] / 1e12,
            ceiling_source=d.get("ceiling_source"),
            energy_j=d.get("energy_j"),
            samples_per_j=d.get("samples_per_j"),
            wall_s=round(time.perf_counter() - t0, 1),
        )


def run_scale_check(device: str, nprocs: list[int], workload: str, steps: int, precision: str) -> None:
    """The NCCL (or, dry, gloo) path of ``horsepower scale``: one JSON line per world size."""
    from profiler.distributed.config import DistConfig
    from profiler.distributed.sweep import check_sweep, run_scale
    from profiler.metrics.scaling import scaling_points

    config = DistConfig(workload=workload, device=device, precision=precision, steps=steps,
                        warmup_max_steps=20, warmup_max_s=20.0, timeout_s=120.0)
    try:
        check_sweep(config, nprocs)
    except ValueError as exc:
        emit("scale", error=str(exc))
        return
    t0 = time.perf_counter()
    points = run_scale(config, nprocs)
    figures = {p.world_size: p for p in scaling_points([pt.result for pt in points])}
    for point in points:
        d = point.result
        section = d.get("distributed") or {}
        fig = figures.get(point.world_size)
        emit(
            "scale",
            device=device,
            world_size=point.world_size,
            status=d.get("status"),
            error=d.get("error"),
            backend=section.get("backend"),
            samples_per_s=d.get("samples_per_s"),
            efficiency=fig and fig.efficiency,
            mfu=d.get("mfu"),
            split=[r.get("split") for r in section.get("ranks") or []],
            allreduce=section.get("allreduce"),
            energy_j=d.get("energy_j"),
            warnings=d.get("warnings"),
        )
    emit("scale_done", wall_s=round(time.perf_counter() - t0, 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration-s", type=float, default=12.0, help="timed seconds per workload")
    parser.add_argument("--compare", type=int, default=6, help="telemetry comparisons (1 per second)")
    parser.add_argument("--workloads", nargs="*", help="default: every built-in workload")
    parser.add_argument("--only", choices=("scale",), help="run one section alone")
    parser.add_argument("--scale-workload", default="gpt", help="workload of the scale section (default gpt)")
    parser.add_argument("--scale-steps", type=int, default=50, help="timed steps per scale point (default 50)")
    parser.add_argument("--dry-run", action="store_true",
                        help="run the scale section on the CPU (gloo, 1 rank, 3 steps) to check the script")
    args = parser.parse_args(argv)

    if args.dry_run:
        run_scale_check("cpu", [1], "mlp", 3, "fp32")
        return 0
    if not torch.cuda.is_available() or torch.version.cuda is None:
        from profiler.devices.discovery import cuda_unavailable_reason

        message = f"no usable NVIDIA GPU: {cuda_unavailable_reason()}"
        emit("error", message=message)
        print(f"gpu_check: {message}", file=sys.stderr)
        return 2

    from profiler.devices.peaks import datasheet_peak
    from profiler.devices.registry import torch_device_uuid
    from profiler.workloads import WORKLOADS

    name = torch.cuda.get_device_name(0)
    uuid = torch_device_uuid(0) or ""
    peak = datasheet_peak(name, "bf16")
    emit(
        "device",
        name=name,
        uuid=uuid,
        torch=torch.__version__,
        cuda=torch.version.cuda,
        datasheet_bf16_tflops=peak and peak[0] / 1e12,
        datasheet_source=peak and peak[1],
    )
    nprocs = [n for n in (1, 2, 4, 8) if n <= torch.cuda.device_count()]
    if args.only != "scale":
        compare_telemetry(uuid, args.compare, peak)
        run_workloads(args.workloads or sorted(WORKLOADS), args.duration_s)
    run_scale_check("cuda", nprocs, args.scale_workload, args.scale_steps, "bf16")
    return 0


if __name__ == "__main__":
    sys.exit(main())
