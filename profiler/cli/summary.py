"""The readable summary printed after ``horsepower run``: figures from the result dict only."""

from __future__ import annotations

from typing import Any

from profiler import units
from profiler.metrics import keys
from profiler.metrics.memory import peak_memory


def render_summary(d: dict[str, Any]) -> str:
    """The summary table of a result dict (``RunResult.to_dict``), then warnings and notes."""
    st = d["step_time_s"]
    tele = d["telemetry"]
    device = str(d["device"])
    rows = [
        ("status", d["status"]),
        ("device", f"{device}  {d['device_info'].get('name', '')}".rstrip()),
        ("workload", f"{d['workload']}-{d['size']}  batch {d['batch_size']}  {d['precision']}"
                     f"  {units.count(d['params'])} params"),
        ("samples/s", f"{units.count(d['samples_per_s'], 1)}  (whole timed window)"),
        ("step time", f"median {units.seconds(st['median'])}  p5 {units.seconds(st['p5'])}  "
                      f"p95 {units.seconds(st['p95'])}  ({st['n']} timed steps, {d['warmup_steps']} warm-up)"),
        ("FLOPs/step", units.flop(d["flops_per_step"])),
        ("achieved", units.flops(d["achieved_flops_per_s"])),
        ("peak (measured)", f"{units.flops(d['peak_flops_per_s'])}  {d['peak_source'] or ''}".rstrip()),
        ("MFU", units.percent(d["mfu"])),
    ]
    if d["datasheet_peak_flops_per_s"]:
        sheet = units.flops(d["datasheet_peak_flops_per_s"])
        rows.append(("MFU (datasheet)", f"{units.percent(d['mfu_datasheet'])} of {sheet}"))
    if d["compile_s"] is not None:
        rows.append(("compile time", units.seconds(d["compile_s"])))
    if d["input_wait_fraction"] is not None:
        rows.append(("input wait", f"{units.percent(d['input_wait_fraction'])} of the timed window"))
    if d["loss_first"] is not None:
        rows.append(("loss", f"{d['loss_first']:.4f} -> {d['loss_last']:.4f}"))
    cpu_mean = keys.stat(tele, keys.HOST, "cpu_util_percent")
    cpu_max = keys.stat(tele, keys.HOST, "cpu_util_percent", "max")
    memory, memory_label = peak_memory(d)
    rows += [
        ("host CPU util", f"mean {units.count(cpu_mean)}%  max {units.count(cpu_max)}%  (whole machine)"),
        ("peak memory", f"{units.nbytes(memory)}  ({memory_label})" if memory else memory_label),
        ("energy", units.energy(d["energy_j"]) if d["energy_j"] is not None
         else "n/a (no energy counter on this device)"),
    ]
    power_mean = keys.stat(tele, device, "power_w")
    if power_mean is not None:
        power_max = keys.stat(tele, device, "power_w", "max")
        rows.append(("device power", f"mean {units.power(power_mean)}  max {units.power(power_max)}"))
    lines = [f"\n{units.plain(d['name'])}", units.table(rows)]
    lines += [f"  warning: {units.plain(w)}" for w in d["warnings"]]
    lines += [f"  note: {units.plain(n)}" for n in d["notices"]]
    if d["error"]:
        lines.append(f"  error: {units.plain(d['error'])}")
    if d["advice"]:
        lines.append(f"  advice: {units.plain(d['advice'])}")
    return "\n".join(lines)
