"""Words for the two references MFU is measured against, from a result (or a run's description).

``describe_peak`` is the one-line "where does this peak come from" (a tooltip, the CLI
summary); ``mfu_sentence`` puts both ratios side by side: "43% of hardware peak, 45% of the
best GEMM measured here" (``units.share``, as the window's cards and the reports write MFU);
``mfu_parts`` gives its two halves (the window's MFU card shows one per line);
``reference_lines`` says where both references come from, a line each, for a tooltip.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from profiler import units

HARDWARE = "hardware peak"
CEILING = "the best GEMM measured here"


def describe_peak(source: str | None, inputs: Mapping[str, Any]) -> str:
    """How the hardware peak was found, e.g. "ISA table: 2 cores x 64 fp32 FLOP/cycle (AVX-512,
    FMA units) x 4.47 GHz (measured: dependent-add chain on 2 cores at once)"; n/a when there is
    none. ``inputs['datapath_detail']`` has the longer story for a tooltip."""
    if not source:
        reason = inputs.get("reason")
        return f"n/a ({reason})" if reason else "n/a"
    if source == "datasheet":
        return f"datasheet: {inputs.get('source') or 'source n/a'}"
    cores, per_cycle, clock = inputs.get("cores"), inputs.get("flop_per_cycle"), inputs.get("clock_ghz")
    clock_text = f"{clock:.2f} GHz" if isinstance(clock, (int, float)) else "n/a GHz"
    per_cycle_text = f"{per_cycle:g}" if isinstance(per_cycle, (int, float)) else "n/a"
    cores_text = f"{cores} core{'' if cores == 1 else 's'}"
    return (f"{source}: {cores_text} x {per_cycle_text} {inputs.get('dtype', '')} FLOP/cycle "
            f"({inputs.get('isa', 'ISA n/a')}) x {clock_text} ({inputs.get('clock_method', 'clock source n/a')})")


def mfu_parts(mfu: float | None, mfu_ceiling: float | None) -> tuple[str, str]:
    """("43% of hardware peak", "45% of the best GEMM measured here"); an n/a side says n/a."""
    return f"{units.share(mfu)} of {HARDWARE}", f"{units.share(mfu_ceiling)} of {CEILING}"


def mfu_sentence(mfu: float | None, mfu_ceiling: float | None) -> str:
    """Both MFUs in one line; an n/a side says so."""
    return ", ".join(mfu_parts(mfu, mfu_ceiling))


def reference_lines(run: Mapping[str, Any]) -> list[str]:
    """Where the two references of a result dict (its ``peak_*`` and ``ceiling_*`` keys) come
    from: ``references_of`` over its fields."""
    inputs = run.get("peak_inputs") or {}
    return references_of(run.get("peak_flops_per_s"), run.get("peak_source"),
                         inputs if isinstance(inputs, Mapping) else {},
                         run.get("ceiling_flops_per_s"), run.get("ceiling_source"))


def references_of(peak: float | None, peak_source: str | None, peak_inputs: Mapping[str, Any],
                  ceiling: float | None, ceiling_source: str | None) -> list[str]:
    """Where the two references come from, a line each: the hardware peak with its inputs, how
    the FMA datapath was found, why the ISA table had no row, then the best GEMM measured here."""
    how = describe_peak(peak_source, peak_inputs)
    lines = [f"Hardware peak: {how}" if peak is None else f"Hardware peak: {units.flops(peak)}, {how}"]
    if peak_inputs.get("datapath_detail"):
        lines.append(f"  datapath: {peak_inputs['datapath_detail']}")
    if peak_inputs.get("table_refused"):
        lines.append(f"  ISA table: {peak_inputs['table_refused']}")
    source = str(ceiling_source or "")
    where = source.removeprefix(CEILING.removeprefix("the ")).lstrip(": ") or "not measured"
    lines.append(f"Best GEMM measured here: {units.flops(ceiling)}, {where}" if ceiling is not None
                 else f"Best GEMM measured here: n/a ({where})")
    return lines
