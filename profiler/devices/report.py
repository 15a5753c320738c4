"""Plain-language lines on which accelerator telemetry this machine has, for ``horsepower devices``.

Each probe opens and closes its vendor library (NVML, amdsmi) once; nothing stays initialised.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import platform

import torch

from profiler.devices.telemetry import TelemetryError

log = logging.getLogger(__name__)


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def torch_build_line() -> str:
    hip = getattr(torch.version, "hip", None)
    if torch.version.cuda:
        return f"torch {torch.__version__}: CUDA {torch.version.cuda} build"
    if hip:
        return f"torch {torch.__version__}: ROCm {hip} build"
    return f"torch {torch.__version__}: CPU-only build (no CUDA or ROCm compiled in: GPUs cannot train here)"


def nvidia_line() -> str:
    binding = _version("nvidia-ml-py")
    if binding is None and importlib.util.find_spec("pynvml") is None:
        return "NVIDIA: telemetry n/a: nvidia-ml-py is not installed (pip install 'horsepower[nvidia]')"
    from profiler.devices.nvml_session import NVML_SESSION

    prefix = f"NVIDIA: nvidia-ml-py {binding or '(pynvml)'} installed"
    try:
        nvml = NVML_SESSION.acquire()
    except TelemetryError as exc:
        return f"{prefix}; telemetry n/a: {exc}"
    try:
        count = int(nvml.nvmlDeviceGetCount())
        driver = getattr(nvml, "nvmlSystemGetDriverVersion", lambda: "?")()
        names = [str(nvml.nvmlDeviceGetName(nvml.nvmlDeviceGetHandleByIndex(i))) for i in range(count)]
        found = ", ".join(names) or "no GPUs"
        return f"{prefix}; driver {driver}; NVML sees {count} GPU(s): {found}"
    except Exception as exc:
        return f"{prefix}; NVML started but a query failed: {exc}"
    finally:
        NVML_SESSION.release()


def amd_line() -> str:
    if importlib.util.find_spec("amdsmi") is None:
        return "AMD: telemetry n/a: amdsmi is not installed (pip install 'horsepower[amd]', ROCm hosts only)"
    from profiler.devices.amd import AMDSMI_SESSION

    try:
        smi = AMDSMI_SESSION.acquire()
    except TelemetryError as exc:
        return f"AMD: amdsmi installed; telemetry n/a: {exc}"
    try:
        return f"AMD: amdsmi sees {len(list(smi.amdsmi_get_processor_handles()))} GPU(s)"
    except Exception as exc:
        return f"AMD: amdsmi started but a query failed: {exc}"
    finally:
        AMDSMI_SESSION.release()


def apple_line() -> str:
    mps = getattr(torch.backends, "mps", None)
    if platform.system() != "Darwin":
        return "Apple: MPS exists only on macOS"
    if mps is None or not mps.is_built():
        return "Apple: this torch was built without MPS"
    if not mps.is_available():
        return "Apple: MPS needs macOS 12.3+ on Apple silicon"
    from profiler.devices.mps import PRIVILEGED_REASON, apple_gpu_name

    name = apple_gpu_name() or "Apple GPU"
    return f"Apple: {name}: allocator and driver memory only; {PRIVILEGED_REASON}"


def intel_line() -> str:
    xpu = getattr(torch, "xpu", None)
    try:
        available = bool(xpu and xpu.is_available())
    except Exception:
        available = False
    if not available or xpu is None:
        return "Intel: no XPU device usable by this torch"
    util = "utilization ~1 Hz" if hasattr(xpu, "utilization") else "no utilization (torch 2.6+ needed)"
    return f"Intel: {xpu.device_count()} XPU device(s): allocator memory, {util}"


def rapl_line() -> str:
    from profiler.devices.rapl import find_package_zones

    zones, reason = find_package_zones()
    if reason:
        return f"CPU energy (RAPL): n/a: {reason}"
    return f"CPU energy (RAPL): {len(zones)} package zone(s): {', '.join(z.name for z in zones)}"


def report_lines() -> list[str]:
    """Every line; each probe is isolated so one failure does not hide the others."""
    lines = []
    for probe in (torch_build_line, nvidia_line, amd_line, apple_line, intel_line, rapl_line):
        try:
            lines.append(probe())
        except Exception as exc:
            log.exception("telemetry probe %s failed", probe.__name__)
            lines.append(f"{probe.__name__}: failed: {exc}")
    return lines
