"""Every kind of device PyTorch can train on (and one it cannot), what each needs, and what
Horsepower can read from it beyond torch's own runtime.

One row per kind. ``needs`` is shown when the kind is absent; ``telemetry`` says, for the
vendor readings (utilization, power, temperature, energy), what reads them or why they are
n/a. The runtime capabilities (sync, events, memory) are probed on the device itself
(``profiler.devices.capabilities``). Sources are given per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: the capabilities every device kind states, in display order
CAPABILITIES = ("sync", "events", "memory", "utilization", "power", "temperature", "energy")
#: vendor capability -> the telemetry reading that carries it (``profiler.devices.telemetry.READINGS``)
READING_OF = {"utilization": "util_percent", "power": "power_w", "temperature": "temp_c", "energy": "energy_j",
              "memory": "alloc_bytes"}


@dataclass(frozen=True)
class DeviceKind:
    """One kind. ``kind`` is torch's device type ("" for a kind torch has none for)."""

    key: str  # unique: "cuda" (NVIDIA) and "rocm" (AMD) share torch's device type "cuda"
    kind: str
    title: str
    vendor: str
    needs: str
    source: str
    trainable: bool = True
    telemetry: dict[str, str] = field(default_factory=dict)  # capability -> why n/a (absent: read)


_NO_VENDOR = "torch exposes no {what} for {title}, and Horsepower reads no vendor tool for it"


def _na(title: str, *what: str, reason: str = "") -> dict[str, str]:
    return {w: reason or _NO_VENDOR.format(what=w, title=title) for w in what}


KINDS: tuple[DeviceKind, ...] = (
    DeviceKind("cpu", "cpu", "CPU", "", "nothing: every torch build trains on the CPU",
               "https://docs.pytorch.org/docs/stable/torch.html",
               telemetry={"temperature": "Horsepower reads no CPU temperature"}),
    DeviceKind("cuda", "cuda", "NVIDIA GPU (cuda)", "NVIDIA",
               "an NVIDIA GPU with its driver, a CUDA build of torch (https://pytorch.org/get-started/locally/), "
               "and nvidia-ml-py for telemetry (pip install 'horsepower[nvidia]')",
               "https://docs.pytorch.org/docs/stable/cuda.html"),
    DeviceKind("rocm", "cuda", "AMD GPU (cuda, ROCm)", "AMD",
               "an AMD Instinct or Radeon GPU with ROCm, a ROCm build of torch, and amdsmi for telemetry "
               "(pip install 'horsepower[amd]')", "https://docs.pytorch.org/docs/stable/notes/hip.html"),
    DeviceKind("mps", "mps", "Apple GPU (mps)", "Apple", "macOS 12.3+ on Apple silicon with a torch built with MPS",
               "https://docs.pytorch.org/docs/stable/notes/mps.html",
               telemetry=_na("Apple GPUs", "utilization", "power", "temperature", "energy",
                             reason="macOS exposes GPU utilization and power only to privileged tools (powermetrics)")),
    DeviceKind("xpu", "xpu", "Intel GPU (xpu)", "Intel",
               "an Intel Arc or Data Center GPU with its driver and a torch XPU build (torch 2.5+; "
               "pip install torch --index-url https://download.pytorch.org/whl/xpu)",
               "https://docs.pytorch.org/docs/stable/notes/get_start_xpu.html",
               telemetry=_na("Intel GPUs", "power", "temperature", "energy",
                             reason="torch exposes no XPU power or temperature")),
    DeviceKind("hpu", "hpu", "Intel Gaudi (hpu)", "Intel",
               "an Intel Gaudi machine with the Intel Gaudi software and its PyTorch bridge "
               "(import habana_frameworks.torch; https://docs.habana.ai/en/latest/Installation_Guide/)",
               "https://docs.habana.ai/en/latest/PyTorch/Getting_Started_with_PyTorch_and_Gaudi/"
               "Getting_Started_with_PyTorch.html",
               telemetry=_na("Gaudi", "utilization", "power", "temperature", "energy",
                             reason="Gaudi telemetry lives in hl-smi / pyhlml, which Horsepower does not read")),
    DeviceKind("npu", "npu", "Huawei Ascend (npu)", "Huawei",
               "an Ascend machine with the CANN toolkit and torch_npu (pip install torch-npu; import torch_npu)",
               "https://github.com/Ascend/pytorch",
               telemetry=_na("Ascend", "utilization", "power", "temperature", "energy",
                             reason="Ascend telemetry lives in npu-smi / DCMI, which Horsepower does not read")),
    DeviceKind("privateuse1", "", "Other out-of-tree backend (PrivateUse1)", "",
               "a vendor backend registered through torch's PrivateUse1 mechanism (its plugin imported, "
               "torch.utils.rename_privateuse1_backend)",
               "https://docs.pytorch.org/tutorials/advanced/privateuseone.html",
               telemetry=_na("this backend", "utilization", "power", "temperature", "energy",
                             reason="no vendor telemetry is known for this backend")),
    DeviceKind("xla", "xla", "Google TPU (xla)", "Google",
               "a Cloud TPU VM with torch_xla matching this torch (pip install 'torch_xla[tpu]'); "
               "torch.accelerator does not see TPUs",
               "https://docs.pytorch.org/xla/release/r2.8/learn/trace-vs-execution-time.html",
               telemetry=_na("TPUs", "utilization", "power", "temperature", "energy",
                             reason="TPU runtime metrics (tpu-info, libtpu) are not read by Horsepower")),
    DeviceKind("fpga", "", "FPGA", "",
               "FPGAs have no PyTorch training path; they are deployment targets for quantised inference "
               "(e.g. AMD Vitis AI, Intel FPGA AI Suite) of a model trained elsewhere",
               "https://docs.amd.com/r/en-US/ug1414-vitis-ai", trainable=False),
)


def kind_row(key: str) -> DeviceKind:
    """The row with ``key``; KeyError for an unknown key."""
    for row in KINDS:
        if row.key == key:
            return row
    raise KeyError(key)
