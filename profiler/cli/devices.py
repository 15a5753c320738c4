"""``horsepower devices`` and ``horsepower probe``."""

from __future__ import annotations

import argparse
from typing import Any

from profiler import units
from profiler.cli.common import UsageError, print_json


def register(sub: Any) -> None:
    p = sub.add_parser("devices", help="list the devices torch can train on, and why others are unavailable")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_devices)
    p = sub.add_parser("probe", help="measure a device's matmul peak per precision and its memory bandwidth")
    p.add_argument("--device", default="cpu", help="device to probe (default: cpu)")
    p.add_argument("--seconds", type=float, default=1.0, help="time per measurement (default: 1)")
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
    from profiler.devices.discovery import describe_device
    from profiler.results.spec import PRECISIONS
    from profiler.runner.precision import supported_precisions
    from profiler.workloads.probes import memory_bandwidth, peak_for

    if not args.seconds > 0:
        raise UsageError(f"--seconds must be positive, got {args.seconds}")
    try:
        info = describe_device(args.device)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    rows: dict[str, Any] = {"device": info.id, "name": info.name, "matmul_flops_per_s": {}, "reasons": {}}
    reasons = supported_precisions(info.id)
    for precision in PRECISIONS:
        if reasons[precision]:
            rows["matmul_flops_per_s"][precision] = None
            rows["reasons"][precision] = reasons[precision]
            continue
        probe = peak_for(info.id, precision, seconds=args.seconds)
        rows["matmul_flops_per_s"][precision] = probe.value
        if probe.reason:
            rows["reasons"][precision] = probe.reason
    bandwidth = memory_bandwidth(info.id, seconds=args.seconds)
    rows["bandwidth_bytes_per_s"] = bandwidth.value
    if args.json:
        print_json(rows)
        return 0
    print(f"{info.id}: {info.name}")
    table = [(f"matmul {p}", units.flops(v) + (f"  ({rows['reasons'][p]})" if p in rows["reasons"] else ""))
             for p, v in rows["matmul_flops_per_s"].items()]
    table.append(("memory bandwidth", units.si(bandwidth.value, "B/s")))
    print(units.table(table))
    return 0
