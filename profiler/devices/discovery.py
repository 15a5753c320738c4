"""Find every device torch can train on and describe it in words a user understands."""

from __future__ import annotations

import logging
import os
import shutil

import torch

from profiler.devices.device_info import DeviceInfo
from profiler.results.spec import cpu_model

__all__ = ["DeviceInfo", "cuda_unavailable_reason", "describe_device", "list_devices"]

log = logging.getLogger(__name__)


def _cpu() -> DeviceInfo:
    import psutil

    physical = psutil.cpu_count(logical=False)
    return DeviceInfo(
        id="cpu",
        kind="cpu",
        name=cpu_model(),
        vendor=_cpu_vendor(),
        memory_bytes=psutil.virtual_memory().total,
        compute_units=os.cpu_count(),
        compute_unit_name="logical cores",
        details={
            "physical_cores": physical,
            "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "mkldnn": torch.backends.mkldnn.is_available(),
        },
    )


def _cpu_vendor() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("vendor_id"):
                    vid = line.split(":", 1)[1].strip()
                    return {"GenuineIntel": "Intel", "AuthenticAMD": "AMD"}.get(vid, vid)
    except OSError:
        pass
    import platform

    return "Apple" if platform.system() == "Darwin" and platform.machine() == "arm64" else "unknown"


def cuda_unavailable_reason() -> str:
    """Why torch.cuda cannot be used here, in a user's words."""
    if torch.version.cuda is None and getattr(torch.version, "hip", None) is None:
        return (
            "this torch is a CPU-only build "
            f"({torch.__version__}); install a CUDA or ROCm build of torch to use an NVIDIA or AMD GPU"
        )
    has_nvidia = os.path.exists("/proc/driver/nvidia/version") or shutil.which("nvidia-smi")
    has_amd = os.path.exists("/dev/kfd")
    if torch.version.cuda and not has_nvidia:
        return "no NVIDIA driver found (this torch supports CUDA, but no NVIDIA GPU or driver is present)"
    if getattr(torch.version, "hip", None) and not has_amd:
        return "no AMD ROCm driver found (/dev/kfd is missing)"
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return "CUDA_VISIBLE_DEVICES hides every GPU"
    return "torch found a GPU driver but no usable GPU (check the driver version against this torch's CUDA)"


def _cuda() -> list[DeviceInfo]:
    try:
        available = torch.cuda.is_available()
    except Exception as exc:  # a broken driver can raise here
        available = False
        log.warning("torch.cuda.is_available() raised: %s", exc)
    is_rocm = getattr(torch.version, "hip", None) is not None
    if not available:
        return [
            DeviceInfo(
                id="cuda",
                kind="cuda",
                name="AMD GPU (ROCm)" if is_rocm else "NVIDIA GPU",
                vendor="AMD" if is_rocm else "NVIDIA",
                available=False,
                reason=cuda_unavailable_reason(),
            )
        ]
    devices = []
    for i in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(i)
        uuid = str(getattr(props, "uuid", "") or "")
        devices.append(
            DeviceInfo(
                id=f"cuda:{i}",
                kind="cuda",
                name=props.name,
                vendor="AMD" if is_rocm else "NVIDIA",
                memory_bytes=int(props.total_memory),
                compute_units=int(props.multi_processor_count),
                compute_unit_name="compute units" if is_rocm else "SMs",
                details={
                    "capability": f"{props.major}.{props.minor}",
                    "uuid": uuid,
                    "cuda_runtime": torch.version.cuda,
                    "hip_runtime": getattr(torch.version, "hip", None),
                    "gcn_arch": getattr(props, "gcnArchName", None),
                },
            )
        )
    return devices


def _mps() -> list[DeviceInfo]:
    backend = getattr(torch.backends, "mps", None)
    if backend is None:
        return []
    if not backend.is_built():
        import platform

        if platform.system() != "Darwin":
            return []  # MPS only exists on macOS: not worth a greyed-out row elsewhere
        return [DeviceInfo("mps", "mps", "Apple GPU (MPS)", "Apple", False, "this torch was built without MPS support")]
    if not backend.is_available():
        return [DeviceInfo("mps", "mps", "Apple GPU (MPS)", "Apple", False, "MPS needs macOS 12.3+ on Apple silicon")]
    import psutil

    from profiler.devices.mps import apple_gpu_name

    return [
        DeviceInfo(
            "mps", "mps", apple_gpu_name() or "Apple GPU (MPS)", "Apple",
            memory_bytes=psutil.virtual_memory().total,  # unified memory
            details={"unified_memory": True},
        )
    ]


def _xpu() -> list[DeviceInfo]:
    xpu = getattr(torch, "xpu", None)
    if xpu is None:
        return []
    try:
        available = xpu.is_available()
    except Exception:
        available = False
    if not available:
        return []  # Intel GPUs are rare; only list them when torch can use one
    devices = []
    for i in range(xpu.device_count()):
        props = xpu.get_device_properties(i)
        devices.append(
            DeviceInfo(
                id=f"xpu:{i}", kind="xpu", name=props.name, vendor="Intel",
                memory_bytes=int(getattr(props, "total_memory", 0)) or None,
                compute_units=getattr(props, "gpu_subslice_count", None) or getattr(props, "max_compute_units", None),
                compute_unit_name="Xe cores",
                details={"driver": getattr(props, "driver_version", None)},
            )
        )
    return devices


def list_devices() -> list[DeviceInfo]:
    """Every device kind torch knows; unusable kinds are listed with a reason. Out-of-tree
    backends (Gaudi hpu, Ascend npu, PrivateUse1, TPUs via torch_xla) appear when usable;
    ``profiler.devices.support`` explains every kind that is absent."""
    from profiler.devices.plugin_devices import plugin_devices

    return [_cpu(), *_cuda(), *_mps(), *_xpu(), *plugin_devices()]


def describe_device(device_id: str) -> DeviceInfo:
    """The DeviceInfo for a usable device id, or ValueError naming the valid choices."""
    devices = list_devices()
    for d in devices:
        if d.id == device_id and d.available:
            return d
    valid = ", ".join(d.id for d in devices if d.available)
    kind = device_id.split(":")[0]
    for d in devices:
        if d.kind == kind and not d.available:
            raise ValueError(f"device {device_id!r} is not usable: {d.reason}; valid devices: {valid}")
    raise ValueError(f"unknown device {device_id!r}; valid devices: {valid}")
