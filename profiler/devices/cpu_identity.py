"""Who the CPU is: vendor, family/model, ISA flags, physical cores, from the OS.

Linux: ``/proc/cpuinfo`` (x86 ``vendor_id``/``cpu family``/``model``/``flags``; ARM ``CPU
implementer``/``CPU part``/``Features``). macOS: ``sysctl`` (brand string, performance-core
count). Everything is parsed from text by pure functions, so tests feed fake cpuinfo.

Note: a hypervisor may report a family/model that does not match the ISA it exposes (this
project's own machines report Rocket Lake, model 167, with AMX): ``cpu_table`` checks that.
"""

from __future__ import annotations

import logging
import os
import platform
import re
import subprocess
from dataclasses import asdict, dataclass, field
from typing import Any

log = logging.getLogger(__name__)

VENDORS = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD", "HygonGenuine": "Hygon"}
ARM_IMPLEMENTERS = {"0x41": "Arm", "0x61": "Apple", "0xc0": "Ampere", "0x51": "Qualcomm", "0x48": "HiSilicon"}


@dataclass(frozen=True)
class CpuIdentity:
    """One CPU as the OS reports it. ``family``/``model`` are x86 CPUID values (None elsewhere);
    ``flags`` are lower-case ISA flags (``avx512f``, ``amx_bf16``, ARM ``asimd``);
    ``physical_cores`` counts cores, not SMT threads (performance cores on Apple silicon)."""

    vendor: str
    arch: str  # "x86_64" | "arm64" | platform.machine()
    model_name: str
    family: int | None = None
    model: int | None = None
    flags: frozenset[str] = field(default_factory=frozenset)
    physical_cores: int | None = None
    logical_cpus: int | None = None
    cpuinfo_mhz: float | None = None  # /proc/cpuinfo "cpu MHz": often the TSC rate, not the clock
    os: str = ""

    def has(self, flag: str) -> bool:
        return flag in self.flags

    @property
    def fingerprint(self) -> str:
        """A short string that changes when the CPU (or what the hypervisor exposes) changes."""
        key_flags = ",".join(sorted(f for f in self.flags if f.startswith(("avx", "amx", "fma", "sve", "sme"))))
        return f"{self.vendor}|{self.family}|{self.model}|{self.model_name}|{key_flags}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["flags"] = sorted(self.flags)
        return d


def _field(block: str, name: str) -> str | None:
    found = re.search(rf"^{re.escape(name)}\s*:\s*(.*)$", block, re.MULTILINE)
    return found.group(1).strip() if found else None


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text, 0)
    except ValueError:
        return None


def parse_cpuinfo(text: str, arch: str = "x86_64", physical_cores: int | None = None,
                  logical_cpus: int | None = None) -> CpuIdentity:
    """A CpuIdentity from ``/proc/cpuinfo`` text (the first processor block describes them all).

    ``physical_cores``: from psutil when known; otherwise the distinct (physical id, core id)
    pairs in the text, or ``cpu cores`` x sockets."""
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    first = blocks[0] if blocks else ""
    flags_text = _field(first, "flags") or _field(first, "Features") or ""
    vendor_id = _field(first, "vendor_id")
    implementer = _field(first, "CPU implementer")
    if vendor_id:
        vendor = VENDORS.get(vendor_id, vendor_id)
    elif implementer:
        vendor = ARM_IMPLEMENTERS.get(implementer.lower(), implementer)
    else:
        vendor = "unknown"
    mhz_text = _field(first, "cpu MHz")
    try:
        mhz = float(mhz_text) if mhz_text else None
    except ValueError:
        mhz = None
    processors = [b for b in blocks if _field(b, "processor") is not None]
    if physical_cores is None:
        pairs = {(_field(b, "physical id"), _field(b, "core id")) for b in processors}
        if all(core is not None for _, core in pairs) and pairs:
            physical_cores = len(pairs)
    return CpuIdentity(
        vendor=vendor,
        arch=arch,
        model_name=_field(first, "model name") or _field(first, "Model") or "",
        family=_int(_field(first, "cpu family")),
        model=_int(_field(first, "model")) if vendor_id else None,
        flags=frozenset(flags_text.lower().split()),
        physical_cores=physical_cores,
        logical_cpus=logical_cpus or (len(processors) or None),
        cpuinfo_mhz=mhz,
        os="Linux",
    )


def parse_macos_sysctl(values: dict[str, str]) -> CpuIdentity:
    """A CpuIdentity from macOS ``sysctl`` values (``machdep.cpu.brand_string``,
    ``hw.perflevel0.physicalcpu``, ``hw.physicalcpu``, ``hw.logicalcpu``, ``hw.optional.*``)."""
    brand = values.get("machdep.cpu.brand_string", "")
    arm = brand.startswith("Apple") or values.get("hw.optional.arm64") == "1"
    flags = {name.removeprefix("hw.optional.").lower() for name, v in values.items()
             if name.startswith("hw.optional.") and v.strip() == "1"}
    if arm:
        flags.add("asimd")  # NEON is architectural on arm64
    perf = _int(values.get("hw.perflevel0.physicalcpu")) or _int(values.get("hw.physicalcpu"))
    return CpuIdentity(
        vendor="Apple" if arm else "Intel",
        arch="arm64" if arm else "x86_64",
        model_name=brand,
        flags=frozenset(flags),
        physical_cores=perf,
        logical_cpus=_int(values.get("hw.logicalcpu")),
        os="Darwin",
    )


def _macos_sysctl() -> dict[str, str]:
    names = ["machdep.cpu.brand_string", "hw.perflevel0.physicalcpu", "hw.physicalcpu", "hw.logicalcpu",
             "hw.optional.arm64", "hw.optional.arm.FEAT_BF16", "hw.optional.arm.FEAT_FP16", "hw.optional.arm.FEAT_SME"]
    out: dict[str, str] = {}
    for name in names:
        try:
            value = subprocess.run(["sysctl", "-n", name], capture_output=True, text=True, timeout=5, check=False)
        except (OSError, subprocess.SubprocessError):
            continue
        if value.returncode == 0:
            out[name] = value.stdout.strip()
    return out


def _physical_cores() -> int | None:
    try:
        import psutil

        return psutil.cpu_count(logical=False)
    except Exception:  # psutil raises different errors per platform; this is best effort
        return None


def read_cpu_identity() -> CpuIdentity:
    """This machine's CPU. Never raises: an unreadable OS answer gives an identity with blanks."""
    system, machine = platform.system(), platform.machine().lower()
    arch = "x86_64" if machine in ("x86_64", "amd64") else ("arm64" if machine in ("arm64", "aarch64") else machine)
    if system == "Darwin":
        return parse_macos_sysctl(_macos_sysctl())
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            text = fh.read()
    except OSError:
        return CpuIdentity(vendor="unknown", arch=arch, model_name=platform.processor() or machine,
                           physical_cores=_physical_cores(), logical_cpus=os.cpu_count(), os=system)
    return parse_cpuinfo(text, arch, _physical_cores(), os.cpu_count())
