"""Words for the two references MFU is measured against, from a result's (or RunDescribed's) dicts.

``describe_peak`` is the one-line "where does this peak come from" (a tooltip, the CLI
summary); ``mfu_sentence`` puts both ratios side by side: "43.0% of hardware peak, 45.0% of
the best GEMM measured here".
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


def mfu_sentence(mfu: float | None, mfu_ceiling: float | None) -> str:
    """Both MFUs in one line; an n/a side says so."""
    return f"{units.percent(mfu)} of {HARDWARE}, {units.percent(mfu_ceiling)} of {CEILING}"
