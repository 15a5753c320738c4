"""A CPU's hardware peak FLOP/s: cores in use x FLOP per cycle per core (for the dtype) x clock.

FLOP per cycle comes from the core's vector FMA datapath: ``resources/cpu_flops.json`` (FMA
units and their width, by microarchitecture), or, where the table has no usable row, from the
FMA microbenchmark (``cpu_microbench``), snapped to the nearest architectural value. Per dtype:

- fp32 (and tf32, which a CPU runs as fp32): units x 2 (multiply + add) x fp32 lanes, the lanes
  being the narrower of the unit and the ISA (AVX-512 on 256-bit units: Zen 4, Strix Point).
  No FMA (Sandy Bridge, SSE-only): one add and one multiply unit, 2 x lanes.
- bf16: AMX-BF16 (Sapphire Rapids and later): 1024 per core (the TMUL does a 16x16x32 tile,
  16,384 FLOP, every 16 cycles: Intel, "Accelerate AI Workloads with Intel AMX",
  https://www.intel.com/content/www/us/en/products/docs/accelerator-engines/advanced-matrix-extensions/ai-solution-brief.html,
  "1024 BF16 operations per cycle"). AVX512_BF16 (``vdpbf16ps``: two bf16 products per fp32
  lane): 2 x fp32. Otherwise bf16 is converted and multiplied in fp32 units: the fp32 figure.
- fp16: AMX-FP16 (Granite Rapids): 1024; AVX512_FP16 (32 fp16 lanes per 512 bits) or ARM
  half-precision NEON: 2 x fp32; otherwise the fp32 figure.

Apple silicon: NEON only (four 128-bit FMA pipes per performance core). The matrix coprocessor
Apple's Accelerate BLAS uses (AMX; SME on M4) is undocumented and not counted, so a matmul that
runs there can exceed this figure: the notes say so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from profiler.devices.cpu_identity import CpuIdentity
from profiler.devices.cpu_microbench import Microbench
from profiler.devices.cpu_table import RowMatch

AMX_FLOP_PER_CYCLE = 1024.0
AMX_SOURCE = ("Intel, Accelerate AI Workloads with Intel AMX: 1024 BF16 operations per cycle per core, "
              "https://www.intel.com/content/www/us/en/products/docs/accelerator-engines/"
              "advanced-matrix-extensions/ai-solution-brief.html")
PRECISION_DTYPE = {"fp32": "fp32", "tf32": "fp32", "bf16": "bf16", "fp16": "fp16"}
#: a measured FMA rate within this fraction of an architectural value is that value
SNAP_TOLERANCE = 0.15
#: an all-core clock this far below the single-core one is not trusted (others were running)
ALL_CORE_MIN_RATIO = 0.9


@dataclass(frozen=True)
class CpuPeak:
    """The peak and every input it came from (for a tooltip and the JSON). ``flops_per_s`` is
    None only when no clock could be found. ``datapath`` says where FLOP/cycle came from:
    "ISA table", "FMA microbenchmark" or "assumed"."""

    flops_per_s: float | None
    dtype: str
    cores: int
    threads: int
    flop_per_cycle: float
    fp32_flop_per_cycle: float
    isa: str
    datapath: str
    datapath_detail: str
    clock_ghz: float | None
    clock_method: str
    source: str
    notes: list[str] = field(default_factory=list)  # doubts about the figure: run warnings
    info: list[str] = field(default_factory=list)  # facts about it: run notices

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def vector_isa(cpu: CpuIdentity) -> tuple[str, int]:
    """The widest float vector ISA the OS exposes: (name, bits)."""
    if cpu.has("avx512f"):
        return "AVX-512", 512
    if cpu.has("avx"):
        return ("AVX2+FMA" if cpu.has("fma") and cpu.has("avx2") else "AVX"), 256
    if cpu.has("asimd") or cpu.arch == "arm64":
        return "NEON", 128
    return "SSE", 128


def fp32_from_units(cpu: CpuIdentity, fma_pipes: int, pipe_bits: int) -> float:
    """fp32 FLOP/cycle of ``fma_pipes`` units of ``pipe_bits`` under this CPU's ISA."""
    _, isa_bits = vector_isa(cpu)
    lanes = min(pipe_bits, isa_bits) // 32
    has_fma = cpu.has("fma") or cpu.has("asimd") or cpu.arch == "arm64"
    if fma_pipes == 0 or not has_fma:
        return 2.0 * lanes  # one add unit and one multiply unit
    return 2.0 * fma_pipes * lanes


def snap_fp32(cpu: CpuIdentity, measured: float) -> tuple[float, str]:
    """A measured fp32 FLOP/cycle snapped to an architectural value (one full-width FMA unit,
    which two half-width ones equal, or two full-width ones), with a sentence. Near none of
    them (a busy machine), the next value above the measurement is taken: the peak stays an
    upper bound."""
    name, bits = vector_isa(cpu)
    lanes = bits // 32
    candidates = {2.0 * lanes: f"one {bits}-bit FMA unit or two {bits // 2}-bit ones",
                  4.0 * lanes: f"two {bits}-bit FMA units"}
    best = min(candidates, key=lambda c: abs(measured / c - 1))
    if abs(measured / best - 1) <= SNAP_TOLERANCE:
        return best, f"{name} FMA loop measured {measured:.1f} FLOP/cycle: {candidates[best]}"
    above = min((c for c in candidates if c >= measured), default=max(candidates))
    return above, (f"{name} FMA loop measured {measured:.1f} FLOP/cycle, near no architectural value "
                   f"({', '.join(f'{c:g}' for c in sorted(candidates))}; the machine may be busy): "
                   f"{above:g} assumed ({candidates[above]}), an upper bound")


def dtype_flop_per_cycle(cpu: CpuIdentity, dtype: str, fp32: float) -> tuple[float, str, list[str]]:
    """(FLOP/cycle, unit used, notes) for ``dtype`` given the core's fp32 FLOP/cycle."""
    if dtype == "bf16":
        if cpu.has("amx_bf16"):
            return AMX_FLOP_PER_CYCLE, "AMX-BF16 tile unit", []
        if cpu.has("avx512_bf16"):
            return 2 * fp32, "AVX512_BF16 (vdpbf16ps)", []
        if cpu.vendor == "Apple" or cpu.has("bf16"):
            return fp32, "fp32 units", ["bf16 throughput of this ARM core is not published: the fp32 rate is used"]
        return fp32, "fp32 units", ["no bf16 arithmetic on this CPU: bf16 is computed in fp32 units"]
    if dtype == "fp16":
        if cpu.has("amx_fp16"):
            return AMX_FLOP_PER_CYCLE, "AMX-FP16 tile unit", []
        if cpu.has("avx512_fp16"):
            return 2 * fp32, "AVX512_FP16", []
        if cpu.has("asimdhp") or cpu.has("arm.feat_fp16") or cpu.vendor == "Apple":
            return 2 * fp32, "NEON half precision", []
        return fp32, "fp32 units", ["no fp16 arithmetic on this CPU: fp16 is computed in fp32 units"]
    return fp32, "FMA units", []


def choose_clock(bench: Microbench | None, not_measured: str, nominal: tuple[float, str] | None
                 ) -> tuple[float | None, str, list[str]]:
    """(clock GHz, how it was obtained, notes): the measured all-core clock; the single-core
    one when the all-core read low (others running); else the nominal clock, flagged."""
    if bench is not None:
        if bench.clock_ghz >= ALL_CORE_MIN_RATIO * bench.single_clock_ghz:
            return bench.clock_ghz, f"measured: dependent-add chain on {bench.threads} cores at once", []
        return bench.single_clock_ghz, "measured: dependent-add chain on one core", [
            f"the all-core clock read {bench.clock_ghz:.2f} GHz against {bench.single_clock_ghz:.2f} GHz on one core "
            f"(other processes running, or a lower all-core turbo): the single-core clock is used, so the peak is an "
            f"upper bound"]
    if nominal is None:
        return None, f"not measured ({not_measured}) and no nominal clock found", [
            f"clock not measured ({not_measured}) and no nominal clock is known: no hardware peak"]
    ghz, where = nominal
    return ghz, f"nominal: {where}", [f"clock not measured ({not_measured}): using the nominal/max clock from {where}"]


def cpu_peak(cpu: CpuIdentity, threads: int, precision: str, match: RowMatch, bench: Microbench | None,
             not_measured: str = "", nominal: tuple[float, str] | None = None) -> CpuPeak:
    """The peak for a run of ``threads`` torch threads at ``precision``.

    ``match``: the table's row (or why none); ``bench``: the microbenchmark (None with
    ``not_measured`` saying why); ``nominal``: (GHz, where from) for when it is None.
    """
    dtype = PRECISION_DTYPE[precision]
    notes: list[str] = []
    info: list[str] = []
    physical = cpu.physical_cores or threads
    cores = max(1, min(threads, physical))
    if threads > physical:
        notes.append(f"{threads} threads on {physical} physical cores: SMT threads share a core's FMA units")
    isa, _ = vector_isa(cpu)
    row = match.row
    if row is not None and row.fma_pipes is not None and row.pipe_bits is not None:
        fp32 = fp32_from_units(cpu, row.fma_pipes, row.pipe_bits)
        units = (f"{row.fma_pipes} x {row.pipe_bits}-bit FMA" if row.fma_pipes
                 else "no FMA (one add + one multiply unit)")
        datapath, detail, source = "ISA table", f"{row.name}: {units}", row.source
        info = [row.note] if row.note else []
    elif bench is not None and bench.fma_flop_per_cycle is not None:
        fp32, detail = snap_fp32(cpu, bench.fma_flop_per_cycle)
        datapath, source = "FMA microbenchmark", "measured here (profiler.devices.cpu_microbench)"
    else:
        _, bits = vector_isa(cpu)
        fp32 = fp32_from_units(cpu, 2, bits)
        why = match.reason or (f"{row.name} differs by product" if row else "no table row")
        datapath, source = "assumed", "two full-width FMA units (an upper bound)"
        detail = f"{isa}: assumed two {bits}-bit FMA units"
        notes.append(f"FLOP/cycle not known ({why}; FMA microbenchmark: {not_measured or 'not run'}): "
                     f"assuming two {bits}-bit FMA units, an upper bound")
    if cpu.vendor == "Apple":
        notes.append("NEON only: Apple's matrix coprocessor (AMX, SME on M4), which Accelerate's BLAS uses, "
                     "is undocumented and not counted; a matmul there can exceed this peak")
    flop_per_cycle, unit, dtype_notes = dtype_flop_per_cycle(cpu, dtype, fp32)
    notes += dtype_notes
    if unit.startswith("AMX"):  # the tile unit's rate is architectural: the FMA datapath does not enter
        datapath, detail, source = "ISA table", f"{unit}: {AMX_FLOP_PER_CYCLE:g} FLOP/cycle per core", AMX_SOURCE
    clock, clock_method, clock_notes = choose_clock(bench, not_measured, nominal)
    notes += clock_notes
    flops = cores * flop_per_cycle * clock * 1e9 if clock else None
    return CpuPeak(flops, dtype, cores, threads, flop_per_cycle, fp32, f"{isa}, {unit}", datapath, detail,
                   clock, clock_method, source, notes, info)
