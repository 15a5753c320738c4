"""The hardware peak's arithmetic for a table of processors, from fake cpuinfo / sysctl text.

Each case: cores in use x FLOP/cycle for the dtype (from the ISA and the FMA datapath) x clock.
The clock is a fixed fake measurement so the products can be checked by hand.
"""

from __future__ import annotations

import pytest

from profiler.devices import hardware_peak as hp
from profiler.devices.cpu_identity import CpuIdentity, parse_cpuinfo, parse_macos_sysctl
from profiler.devices.cpu_microbench import Microbench
from profiler.devices.cpu_peak import cpu_peak, snap_fp32
from profiler.devices.cpu_table import load_rows, match_cpu

X86_BASE = "fpu sse sse2 ssse3 sse4_1 sse4_2 avx"
AVX2 = f"{X86_BASE} fma avx2"
AVX512 = f"{AVX2} avx512f avx512dq avx512bw avx512vl"


def cpuinfo(vendor_id: str, family: int, model: int, flags: str, name: str = "Test CPU",
            cores: int = 2, mhz: float = 2596.0) -> str:
    blocks = []
    for i in range(cores):
        blocks.append(
            f"processor\t: {i}\nvendor_id\t: {vendor_id}\ncpu family\t: {family}\nmodel\t\t: {model}\n"
            f"model name\t: {name}\ncpu MHz\t\t: {mhz}\nphysical id\t: 0\ncore id\t\t: {i}\n"
            f"flags\t\t: {flags}\n")
    return "\n".join(blocks)


ZEN5 = parse_cpuinfo(cpuinfo("AuthenticAMD", 26, 0x44, f"{AVX512} avx512_bf16 avx512_vnni", "AMD Ryzen 9 9950X"))
ZEN4 = parse_cpuinfo(cpuinfo("AuthenticAMD", 25, 0x61, f"{AVX512} avx512_bf16", "AMD Ryzen 9 7950X"))
SKYLAKE = parse_cpuinfo(cpuinfo("GenuineIntel", 6, 0x5E, AVX2, "Intel(R) Core(TM) i7-6700K CPU @ 4.00GHz"))
SAPPHIRE = parse_cpuinfo(cpuinfo("GenuineIntel", 6, 0x8F,
                                 f"{AVX512} avx512_bf16 avx512_fp16 amx_bf16 amx_tile amx_int8",
                                 "Intel(R) Xeon(R) Platinum 8480+"))
SANDY = parse_cpuinfo(cpuinfo("GenuineIntel", 6, 0x2A, X86_BASE, "Intel(R) Core(TM) i7-2600K CPU @ 3.40GHz"))
#: what this project's machines report: Rocket Lake's model number with Sapphire Rapids' ISA
VM_XEON = parse_cpuinfo(cpuinfo("GenuineIntel", 6, 167,
                                f"{AVX512} avx512_bf16 avx512_fp16 amx_bf16 amx_tile", "Intel(R) Xeon(R) Processor"))
APPLE_M2 = parse_macos_sysctl({"machdep.cpu.brand_string": "Apple M2 Pro", "hw.perflevel0.physicalcpu": "8",
                               "hw.physicalcpu": "12", "hw.logicalcpu": "12", "hw.optional.arm64": "1"})


def bench(clock_ghz: float = 4.0, fma: float | None = None, single_ghz: float | None = None) -> Microbench:
    return Microbench(threads=2, clock_ghz=clock_ghz, clock_min_ghz=clock_ghz, clock_max_ghz=clock_ghz,
                      single_clock_ghz=single_ghz or clock_ghz, fma_isa="avx512" if fma else None,
                      fma_flop_per_cycle=fma)


@pytest.mark.parametrize(
    ("cpu", "precision", "row", "flop_per_cycle", "datapath"),
    [
        (ZEN5, "fp32", "AMD Zen 5 (Granite Ridge", 64, "ISA table"),  # 2 x 512-bit FMA
        (ZEN5, "bf16", "AMD Zen 5 (Granite Ridge", 128, "ISA table"),  # vdpbf16ps: 2 x fp32
        (ZEN4, "fp32", "AMD Zen 4", 32, "ISA table"),  # AVX-512 on 2 x 256-bit pipes
        (ZEN4, "bf16", "AMD Zen 4", 64, "ISA table"),
        (SKYLAKE, "fp32", "Intel Skylake client", 32, "ISA table"),  # AVX2: 2 x 256-bit FMA
        (SKYLAKE, "bf16", "Intel Skylake client", 32, "ISA table"),  # no bf16 units: fp32 rate
        (SAPPHIRE, "fp32", "Intel Sapphire Rapids", 64, "ISA table"),
        (SAPPHIRE, "bf16", "Intel Sapphire Rapids", 1024, "ISA table"),  # AMX tile unit
        (SAPPHIRE, "fp16", "Intel Sapphire Rapids", 128, "ISA table"),  # AVX512_FP16
        (SANDY, "fp32", "Intel Sandy Bridge", 16, "ISA table"),  # AVX, one add + one multiply unit
        (APPLE_M2, "fp32", "Apple M2", 32, "ISA table"),  # NEON: 4 x 128-bit FMA
        (APPLE_M2, "fp16", "Apple M2", 64, "ISA table"),
    ],
)
def test_peak_arithmetic_by_processor(cpu: CpuIdentity, precision: str, row: str, flop_per_cycle: float,
                                      datapath: str) -> None:
    match = match_cpu(cpu)
    assert match.row is not None and match.row.name.startswith(row), match.reason
    peak = cpu_peak(cpu, threads=2, precision=precision, match=match, bench=bench(4.0))
    assert peak.flop_per_cycle == flop_per_cycle
    assert peak.datapath == datapath
    assert peak.cores == 2 and peak.clock_ghz == 4.0
    assert peak.flops_per_s == pytest.approx(2 * flop_per_cycle * 4.0e9)
    assert peak.source


def test_the_zen5_of_the_field_notes() -> None:
    """FIELD_NOTES: 2 cores x 64 FLOP/cycle x 4.47 GHz = about 572 GFLOP/s."""
    peak = cpu_peak(ZEN5, 2, "fp32", match_cpu(ZEN5), bench(4.47))
    assert peak.flops_per_s == pytest.approx(572.16e9)
    assert peak.clock_method.startswith("measured")


def test_no_bf16_units_says_so_and_apple_names_its_coprocessor() -> None:
    skylake = cpu_peak(SKYLAKE, 2, "bf16", match_cpu(SKYLAKE), bench())
    assert any("no bf16 arithmetic" in n for n in skylake.notes)
    apple = cpu_peak(APPLE_M2, 8, "fp32", match_cpu(APPLE_M2), None, "not x86-64",
                     hp.nominal_clock(APPLE_M2, match_cpu(APPLE_M2).row))
    assert apple.cores == 8 and apple.clock_ghz == 3.49  # nominal: the table's P-core clock
    assert "clock not measured (not x86-64)" in " ".join(apple.notes)
    assert any("matrix coprocessor" in n for n in apple.notes)


def test_a_made_up_model_number_is_refused_and_the_microbenchmark_decides() -> None:
    match = match_cpu(VM_XEON)
    assert match.row is None and "amx_bf16" in match.reason and "model 167" in match.reason
    peak = cpu_peak(VM_XEON, 2, "fp32", match, bench(4.1, fma=59.4))  # AVX-512 clock a bit lower
    assert peak.datapath == "FMA microbenchmark" and peak.fp32_flop_per_cycle == 64
    assert "two 512-bit FMA units" in peak.datapath_detail
    amx = cpu_peak(VM_XEON, 2, "bf16", match, bench(4.1, fma=59.4))
    assert amx.flop_per_cycle == 1024 and amx.datapath == "ISA table" and "intel.com" in amx.source


def test_snapping_keeps_the_peak_an_upper_bound() -> None:
    assert snap_fp32(VM_XEON, 31.0)[0] == 32  # one 512-bit unit (or two 256-bit)
    value, why = snap_fp32(VM_XEON, 45.0)  # near neither 32 nor 64: a busy machine
    assert value == 64 and "upper bound" in why
    assert snap_fp32(VM_XEON, 84.0)[0] == 64  # above two full units is impossible: capped


def test_without_row_or_microbenchmark_two_full_units_are_assumed() -> None:
    peak = cpu_peak(VM_XEON, 2, "fp32", match_cpu(VM_XEON), None, "no exec mmap", (2.6, "the model name"))
    assert peak.datapath == "assumed" and peak.fp32_flop_per_cycle == 64
    assert any("assuming two 512-bit FMA units" in n for n in peak.notes)
    assert peak.clock_ghz == 2.6 and any("clock not measured (no exec mmap)" in n for n in peak.notes)


def test_cores_in_use_are_threads_capped_by_physical_cores() -> None:
    one = cpu_peak(ZEN5, 1, "fp32", match_cpu(ZEN5), bench(4.0))
    four = cpu_peak(ZEN5, 4, "fp32", match_cpu(ZEN5), bench(4.0))
    assert one.cores == 1 and one.flops_per_s == pytest.approx(64 * 4e9)
    assert four.cores == 2 and any("SMT" in n for n in four.notes)


def test_a_low_all_core_clock_falls_back_to_the_single_core_one() -> None:
    peak = cpu_peak(ZEN5, 2, "fp32", match_cpu(ZEN5), bench(2.2, single_ghz=4.4))
    assert peak.clock_ghz == 4.4 and "one core" in peak.clock_method
    assert any("upper bound" in n for n in peak.notes)


def test_nominal_clock_sources_in_order() -> None:
    assert hp.nominal_clock(SKYLAKE, None, 4_200_000.0) == (4.2, "cpufreq cpuinfo_max_freq (the maximum boost clock)")
    assert hp.nominal_clock(SKYLAKE, None) == (4.0, "the model name's base clock")
    ghz, where = hp.nominal_clock(ZEN5, None)  # no cpufreq, no "@ GHz" in the name
    assert ghz == pytest.approx(2.596) and "timestamp-counter" in where
    no_clock = CpuIdentity(vendor="X", arch="riscv64", model_name="")
    assert hp.nominal_clock(no_clock, None) is None
    peak = cpu_peak(no_clock, 1, "fp32", match_cpu(no_clock), None, "not x86-64", None)
    assert peak.flops_per_s is None and peak.clock_ghz is None


def test_parse_cpuinfo_reads_identity() -> None:
    assert (ZEN5.vendor, ZEN5.family, ZEN5.model, ZEN5.physical_cores) == ("AMD", 26, 0x44, 2)
    assert ZEN5.has("avx512_bf16") and not ZEN5.has("amx_bf16")
    assert ZEN5.cpuinfo_mhz == 2596.0
    arm = parse_cpuinfo("processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\nFeatures\t: fp asimd asimdhp\n",
                        arch="arm64")
    assert arm.vendor == "Arm" and arm.model is None and arm.has("asimd")
    assert APPLE_M2.vendor == "Apple" and APPLE_M2.physical_cores == 8 and APPLE_M2.arch == "arm64"


def test_fingerprint_changes_with_the_cpu() -> None:
    assert ZEN5.fingerprint != ZEN4.fingerprint
    assert VM_XEON.fingerprint == parse_cpuinfo(cpuinfo("GenuineIntel", 6, 167, " ".join(sorted(VM_XEON.flags)),
                                                        "Intel(R) Xeon(R) Processor")).fingerprint


def test_every_table_row_names_a_source() -> None:
    rows = load_rows()
    assert len(rows) >= 15
    for row in rows:
        assert row.source and (row.brand_pattern is not None or row.models)
        assert row.fma_pipes is None or row.fma_pipes in (0, 1, 2, 4)


def test_cpu_hardware_peak_of_this_machine_uses_the_microbenchmark(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, str | None]] = []

    def fake(threads: int, isa: str | None) -> Microbench | str:
        calls.append((threads, isa))
        return bench(3.0, fma=60.0)

    monkeypatch.setattr(hp.cpu_microbench, "run_in_subprocess", fake)
    hp.clear_cache()
    try:
        result = hp.cpu_hardware_peak(2, "fp32", VM_XEON)
        again = hp.cpu_hardware_peak(2, "bf16", VM_XEON)
    finally:
        hp.clear_cache()
    assert calls == [(2, "avx512")]  # once per process and thread count
    assert result.source == "FMA microbenchmark" and result.flops_per_s == pytest.approx(2 * 64 * 3e9)
    assert result.inputs["table_refused"] and result.inputs["clock_ghz"] == 3.0
    assert again.flops_per_s == pytest.approx(2 * 1024 * 3e9)


def test_a_failed_microbenchmark_falls_back_to_a_flagged_nominal_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hp.cpu_microbench, "run_in_subprocess", lambda threads, isa: "no exec mmap here")
    monkeypatch.setattr(hp, "_cpufreq_max_khz", lambda: None)
    hp.clear_cache()
    try:
        result = hp.cpu_hardware_peak(2, "fp32", SKYLAKE)
    finally:
        hp.clear_cache()
    assert result.source == "ISA table" and result.flops_per_s == pytest.approx(2 * 32 * 4.0e9)
    assert any("clock not measured (no exec mmap here): using the nominal/max clock" in n for n in result.notes)


def test_accelerators_use_the_datasheet_row() -> None:
    h100 = hp.hardware_peak("cuda:0", "NVIDIA H100 80GB HBM3", "bf16", None)
    assert h100.source == "datasheet" and h100.flops_per_s == pytest.approx(989.5e12, rel=1e-3)
    assert "H100" in h100.inputs["source"]
    unknown = hp.hardware_peak("cuda:0", "NVIDIA Imaginary 9000", "bf16", None)
    assert unknown.flops_per_s is None and unknown.source is None and "no datasheet figure" in unknown.reason
    mig = hp.hardware_peak("cuda:0", "NVIDIA H100 80GB HBM3 MIG 1g.10gb", "bf16", None)
    assert mig.flops_per_s is None  # a MIG slice has only part of the GPU


def test_gpu_fingerprint_follows_name_uuid_and_runtime() -> None:
    info = {"name": "NVIDIA H200", "details": {"uuid": "GPU-1", "cuda_runtime": "13.0"}}
    same = hp.hardware_fingerprint("cuda:0", info)
    assert same == hp.hardware_fingerprint("cuda:0", dict(info))
    assert same != hp.hardware_fingerprint("cuda:0", {**info, "details": {"uuid": "GPU-2", "cuda_runtime": "13.0"}})
    assert same != hp.hardware_fingerprint("cuda:0", {**info, "details": {"uuid": "GPU-1", "cuda_runtime": "12.8"}})
