"""``horsepower devices`` and ``horsepower probe``."""

from __future__ import annotations

import argparse
from typing import Any

from profiler import numbers, units
from profiler.cli.common import UsageError, print_json


def register(sub: Any) -> None:
    p = sub.add_parser("devices", help="list the devices torch can train on, and why others are unavailable")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_devices)
    p = sub.add_parser("probe", help="the hardware peak and the best GEMM measured here, per precision, "
                                      "and the memory bandwidth")
    p.add_argument("--device", default="cpu", help="device to probe (default: cpu)")
    p.add_argument("--seconds", type=numbers.Bound("seconds", 0, 600, low_open=True).arg(), default=3.0,
                   help="time budget of each GEMM ceiling measurement (default: 3)")
    p.add_argument("--threads", type=numbers.THREADS.arg(), default=None, help="CPU threads (default: torch's default)")
    p.add_argument("--remeasure", action="store_true",
                   help="measure the GEMM ceilings now, even when a fresh one is cached")
    p.add_argument("--busy-ok", action="store_true",
                   help="measure even when other processes keep the machine busy (the ceiling is flagged)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_probe)


def cmd_devices(args: argparse.Namespace) -> int:
    from profiler.devices.capabilities import device_capabilities
    from profiler.devices.discovery import list_devices
    from profiler.devices.registry import accelerator_report
    from profiler.devices.support import kind_support

    devices = list_devices()
    caps = {d.id: device_capabilities(d) for d in devices if d.available}
    kinds = kind_support(devices)
    report = accelerator_report()
    if args.json:
        print_json({"devices": [{**d.to_dict(), "capabilities": [c.to_dict() for c in caps.get(d.id, [])]}
                                for d in devices],
                    "kinds": [k.to_dict() for k in kinds], "telemetry": report})
        return 0
    for d in devices:
        if d.available:
            cores = f", {d.compute_units} {d.compute_unit_name}" if d.compute_units else ""
            print(f"{d.id:<8} {d.name} ({d.vendor}{cores}, {units.nbytes(d.memory_bytes)})")
            for cap in caps[d.id]:
                print(f"{'':<10}{cap.text()}")
        else:
            print(f"{d.id:<8} unavailable: {d.reason}")
    print("\nDevice kinds:")
    for kind in kinds:
        print(f"  {kind.line()}")
    if report:
        print("\nTelemetry:")
        for line in report:
            print(f"  {line}")
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    import torch

    from profiler.devices.discovery import describe_device
    from profiler.devices.hardware_peak import hardware_fingerprint, hardware_peak
    from profiler.metrics.references import describe_peak
    from profiler.results.spec import PRECISIONS
    from profiler.runner.precision import supported_precisions
    from profiler.runner.quiet import QuietReader, read_now
    from profiler.workloads.ceiling_cache import ceiling_for
    from profiler.workloads.probes import memory_bandwidth

    machine = QuietReader()  # read over the checks below, before anything is measured
    if not args.seconds > 0:
        raise UsageError(f"--seconds must be positive, got {args.seconds}")
    if args.threads is not None and args.threads < 1:
        raise UsageError(f"--threads must be at least 1, got {args.threads}")
    try:
        info = describe_device(args.device)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    cpu = info.kind == "cpu"
    if cpu and args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads() if cpu else None
    quiet = read_now(machine)
    fingerprint = hardware_fingerprint(info.id, info.to_dict())
    out: dict[str, Any] = {"device": info.id, "name": info.name, "threads": threads, "precisions": {}}
    reasons = supported_precisions(info.id)
    for precision in PRECISIONS:
        if reasons[precision]:
            out["precisions"][precision] = {"unsupported": reasons[precision]}
            continue
        peak = hardware_peak(info.id, info.name, precision, threads)
        ceiling = ceiling_for(info.id, precision, threads, fingerprint, "auto", remeasure=args.remeasure,
                              seconds=args.seconds, force=args.busy_ok)
        out["precisions"][precision] = {
            "peak_flops_per_s": peak.flops_per_s, "peak_source": peak.source,
            "peak_inputs": {**peak.inputs, **({"reason": peak.reason} if peak.reason else {})},
            "ceiling_flops_per_s": ceiling.flops_per_s, "ceiling_source": ceiling.source,
            "ceiling_inputs": ceiling.inputs,
            "ceiling_of_peak": (ceiling.flops_per_s / peak.flops_per_s
                                if ceiling.flops_per_s and peak.flops_per_s else None),
            "notes": [*peak.notes, *peak.info, *ceiling.notes],
        }
    bandwidth = memory_bandwidth(info.id, seconds=min(args.seconds, 1.0))
    out["bandwidth_bytes_per_s"] = bandwidth.value
    quiet = with_measured_clock(quiet, out["precisions"])
    out["machine"] = quiet.to_dict()
    if args.json:
        print_json(out)
        return 0
    print(f"{info.id}: {info.name}" + (f"  ({threads} thread{'' if threads == 1 else 's'})" if threads else ""))
    table: list[tuple[str, str]] = []
    notes: list[str] = []
    for precision, row in out["precisions"].items():
        if "unsupported" in row:
            table.append((precision, f"n/a ({row['unsupported']})"))
            continue
        table.append((f"{precision} hardware peak", f"{units.flops(row['peak_flops_per_s'])}  "
                      f"{describe_peak(row['peak_source'], row['peak_inputs'])}"))
        share = f" ({units.percent(row['ceiling_of_peak'], 0)} of the peak)" if row["ceiling_of_peak"] else ""
        table.append((f"{precision} best GEMM here", f"{units.flops(row['ceiling_flops_per_s'])}{share}  "
                      f"{row['ceiling_source']}"))
        notes += [f"{precision}: {n}" for n in row["notes"] if f"{precision}: {n}" not in notes]
    table.append(("memory bandwidth", units.si(bandwidth.value, "B/s")))
    table.append(("machine before probing", quiet.line()))
    print(units.table(table))
    for note in notes:
        print(f"  note: {note}")
    return 0


def with_measured_clock(reading: Any, precisions: dict[str, Any]) -> Any:
    """``reading`` with the all-core clock the CPU peak measured (MHz), when one was measured."""
    import dataclasses

    for row in precisions.values():
        inputs = row.get("peak_inputs") or {}
        ghz = inputs.get("clock_ghz")
        if isinstance(ghz, (int, float)) and ghz > 0 and str(inputs.get("clock_method") or "").startswith("measured"):
            return dataclasses.replace(reading, clock_mhz=float(ghz) * 1000, clock_how="measured")
    return reading
