"""The readable summary printed after ``horsepower run``: figures from the result dict only."""

from __future__ import annotations

from typing import Any

from profiler import units
from profiler.metrics import keys
from profiler.metrics.comparison import model_title
from profiler.metrics.contention import contention_of_dict
from profiler.metrics.cpu_share import shares_sentence
from profiler.metrics.figures import ERROR_PREFIX
from profiler.metrics.memory import peak_memory
from profiler.metrics.phases import SHORT_LABELS, sampling_sentence
from profiler.metrics.references import describe_peak, mfu_sentence
from profiler.metrics.verdict import verdict_pending
from profiler.results.model_ref import USER_WORKLOAD


def render_summary(d: dict[str, Any]) -> str:
    """The summary table of a result dict (``RunResult.to_dict``), then warnings and notes."""
    st = d["step_time_s"]
    tele = d["telemetry"]
    device = str(d["device"])
    rows = [
        ("status", d["status"]),
        ("device", f"{device}  {d['device_info'].get('name', '')}".rstrip()),
        ("workload", f"{model_title(d)}  batch {d['batch_size']}  {d['precision']}"
                     f"  {units.count(d['params'])} params"),
        ("samples/s", f"{units.count(d['samples_per_s'], 1)}{_unit(d)}  (whole timed window)"),
        ("step time", f"median {units.seconds(st['median'])}  p5 {units.seconds(st['p5'])}  "
                      f"p95 {units.seconds(st['p95'])}  ({st['n']} timed steps, {d['warmup_steps']} warm-up)"),
        ("FLOPs/step", units.flop(d["flops_per_step"])),
        ("achieved", units.flops(d["achieved_flops_per_s"])),
        ("MFU", mfu_sentence(d["mfu"], d["mfu_ceiling"])),
        ("hardware peak", f"{units.flops(d['peak_flops_per_s'])}  "
                          f"{describe_peak(d['peak_source'], d['peak_inputs'] or {})}"),
        ("best GEMM here", f"{units.flops(d['ceiling_flops_per_s'])}  {d['ceiling_source'] or ''}".rstrip()),
    ]
    if d.get("architecture"):
        rows.insert(3, ("architecture", d["architecture"]))
    if d.get("loss_source"):
        rows.insert(3 + bool(d.get("architecture")), ("loss from", d["loss_source"]))
    if d.get("tokens_per_s") is not None:
        rows.insert(4, ("tokens/s", f"{units.count(d['tokens_per_s'], 1)}  ({d['tokens_per_sample']} tokens "
                                    "per sample)"))
    if d["compile_s"] is not None:
        rows.append(("compile time", units.seconds(d["compile_s"])))
    if d["input_wait_fraction"] is not None:
        rows.append(("input wait", f"{units.percent(d['input_wait_fraction'])} of the timed window"))
    rows += phase_rows(d)
    if d["loss_first"] is not None:
        rows.append(("loss", f"{d['loss_first']:.4f} -> {d['loss_last']:.4f}"))
    cpu_max = keys.stat(tele, keys.HOST, "cpu_util_percent", "max")
    memory, memory_label = peak_memory(d)
    rows += [
        ("CPU", shares_sentence(d["host_cpu_percent"], d["run_cpu_percent"], d["other_cpu_percent"], cpu_max)),
        ("machine", contention_of_dict(d).quiet_line()),
        ("peak memory", f"{units.nbytes(memory)}  ({memory_label})" if memory else memory_label),
        ("energy", units.energy(d["energy_j"]) if d["energy_j"] is not None
         else "n/a (no energy counter on this device)"),
    ]
    power_mean = keys.stat(tele, device, "power_w")
    if power_mean is not None:
        power_max = keys.stat(tele, device, "power_w", "max")
        rows.append(("device power", f"mean {units.power(power_mean)}  max {units.power(power_max)}"))
    trace = d.get("trace")
    if trace:
        rows.append(("trace", f"{trace['steps']} steps after the timed window -> {trace['path']}  "
                              f"({units.nbytes(trace.get('bytes'))}; open in https://ui.perfetto.dev)"))
    lines = [f"\n{units.plain(d['name'])}", units.table(rows)]
    errors = [w for w in d["warnings"] if w.startswith(ERROR_PREFIX)]
    lines += [f"  error: {units.plain(w.removeprefix(ERROR_PREFIX))}" for w in errors]
    lines += [f"  warning: {units.plain(w)}" for w in d["warnings"] if w not in errors]
    lines += [f"  note: {units.plain(n)}" for n in d["notices"]]
    if d["error"]:
        lines.append(f"  error: {units.plain(d['error'])}")
    if d["advice"]:
        lines.append(f"  advice: {units.plain(d['advice'])}")
    if d.get("error_details") and d["workload"] == USER_WORKLOAD:
        lines.append("  where the model failed (error_details):")
        lines += [f"    {units.plain(line)}" for line in str(d["error_details"]).rstrip().splitlines()]
    return "\n".join(lines)


def _unit(d: dict[str, Any]) -> str:
    unit = d.get("sample_unit") or "samples"
    return "" if unit == "samples" else f" {unit}/s"


def phase_rows(d: dict[str, Any]) -> list[tuple[str, str]]:
    """The step's phase split, how it was sampled, and the verdict (nothing for a result
    without a split: sampling off, too few steps, or written before it existed)."""
    phases = d.get("phases")
    if not phases:
        return []
    fraction = phases["fraction"]
    split = " | ".join(f"{SHORT_LABELS.get(name, name)} {units.percent(fraction.get(name), 0)}"
                       for name in phases["order"])
    rows = [
        ("step phases", f"{split}  (mean {units.seconds(phases['sampled_step_s'])} per sampled step)"),
        ("phase sampling", sampling_sentence(phases)),
    ]
    verdict = d.get("verdict")
    if verdict:
        rows.append(("verdict", str(verdict["message"])))
    elif verdict_pending(phases):
        rows.append(("verdict", verdict_pending(phases)))
    return rows
