"""Which utilization is true? Five figures that each measure something different, side by side.

A panel shows the rows of ``utilization_rows`` for a finished run (``result_utilization``,
from a result dict) or a running one (``live_utilization``, from the latest readings and the
live figures). Every row has its value (None is n/a, shown as n/a, never 0) and one sentence
saying what it measures, so "the GPU is at 100%" and "MFU is 30%" can both be true.
Plain data; thread-agnostic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from profiler.metrics import keys
from profiler.metrics.figures import Figures

HOST_CPU, PROCESS_CPU, GPU_UTIL, MFU, SAMPLES_PER_S = (
    "host_cpu", "process_cpu", "gpu_util", "mfu", "samples_per_s")

MEANINGS = {
    HOST_CPU: "How busy the whole machine's CPU was, every process included (what top or Task "
              "Manager's CPU graph shows); other programs raise it too.",
    PROCESS_CPU: "The CPU time of this run's process (and its DataLoader workers) as a share of "
                 "all cores: what the run itself took of the machine.",
    # NVML nvmlUtilization_t.gpu: "Percent of time over the past sample period during which one
    # or more kernels was executing on the GPU" (sample period 1/6 s to 1 s);
    # https://docs.nvidia.com/deploy/nvml-api/structnvmlUtilization__t.html
    GPU_UTIL: "The share of time at least one kernel was running on the GPU (NVML); one tiny "
              "kernel counts as busy, so 100% says nothing about how many SMs did work.",
    MFU: "Achieved FLOP/s over the device's peak FLOP/s for this precision: how much of the "
         "arithmetic the hardware could do, the run actually did.",
    SAMPLES_PER_S: "Training samples processed per second over the timed window: the figure "
                   "that decides how long a job takes.",
}
LABELS = {HOST_CPU: "host CPU busy", PROCESS_CPU: "this run's CPU", GPU_UTIL: "GPU util (NVML)",
          MFU: "MFU", SAMPLES_PER_S: "samples/s"}
UNITS = {HOST_CPU: "percent", PROCESS_CPU: "percent", GPU_UTIL: "percent", MFU: "fraction",
         SAMPLES_PER_S: "samples/s"}

#: Windows Task Manager's GPU page graphs 3D, Copy, Video Decode and Video Processing by default
#: (Microsoft DirectX blog, "GPUs in the Task Manager", 2017:
#: https://devblogs.microsoft.com/directx/gpus-in-the-task-manager/).
TASK_MANAGER_NOTE = (
    "Windows Task Manager's GPU graphs show the 3D, Copy and video engines by default, but CUDA "
    "kernels run on the Compute (\"Cuda\") engine, which is not among them, so a busy CUDA "
    "training run looks idle there; pick \"Cuda\" or \"Compute_0\" in one graph's drop-down, or "
    "trust the NVML figure above."
)


@dataclass(frozen=True)
class UtilizationRow:
    """One figure of the panel: ``value`` in ``unit`` (percent 0-100, fraction 0-1 or
    samples/s), None when n/a; ``note`` says why it is n/a when it is."""

    key: str
    label: str
    value: float | None
    unit: str
    meaning: str
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _row(key: str, value: float | None, note: str = "") -> UtilizationRow:
    return UtilizationRow(key, LABELS[key], value, UNITS[key], MEANINGS[key], note if value is None else "")


def utilization_rows(
    host_cpu_percent: float | None,
    process_cpu_percent_of_core: float | None,
    logical_cpus: int | None,
    device: str,
    gpu_util_percent: float | None,
    mfu: float | None,
    samples_per_s: float | None,
) -> list[UtilizationRow]:
    """The five rows in panel order. ``process_cpu_percent_of_core`` is psutil's figure
    (100 = one core busy); the row shows it as a share of all ``logical_cpus``."""
    process = (process_cpu_percent_of_core / logical_cpus
               if process_cpu_percent_of_core is not None and logical_cpus else None)
    on_cpu = device.split(":", 1)[0] == "cpu"
    gpu_note = "a CPU run has no GPU" if on_cpu else "this device reports no utilization (NVML n/a)"
    return [
        _row(HOST_CPU, host_cpu_percent, "no host CPU reading"),
        _row(PROCESS_CPU, process, "no process CPU reading"),
        _row(GPU_UTIL, None if on_cpu else gpu_util_percent, gpu_note),
        _row(MFU, mfu, "FLOPs or the peak are unknown"),
        _row(SAMPLES_PER_S, samples_per_s, "no timed steps yet"),
    ]


def result_utilization(result: Mapping[str, Any]) -> list[UtilizationRow]:
    """The rows of a finished run (``RunResult.to_dict()`` or a stored run): timed-window means."""
    telemetry = result.get("telemetry") or {}
    device = str(result.get("device") or "cpu")
    environment = result.get("environment") or {}
    return utilization_rows(
        keys.stat(telemetry, keys.HOST, "cpu_util_percent"),
        keys.stat(telemetry, keys.HOST, "process_cpu_percent"),
        environment.get("logical_cpus"),
        device,
        keys.stat(telemetry, device, "util_percent"),
        result.get("mfu"),
        result.get("samples_per_s"),
    )


def live_utilization(readings: Mapping[str, Any], device: str, logical_cpus: int | None,
                     live: Figures | None) -> list[UtilizationRow]:
    """The rows of a running run: ``readings`` maps telemetry keys (``host.cpu_util_percent``,
    ``cuda:0.util_percent``) to their latest values, ``live`` is ``live_figures()``'s answer."""

    def number(name: str) -> float | None:
        value = readings.get(name)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    return utilization_rows(
        number(keys.host("cpu_util_percent")),
        number(keys.host("process_cpu_percent")),
        logical_cpus,
        device,
        number(keys.key(device, "util_percent")),
        live.mfu if live else None,
        live.samples_per_s if live else None,
    )
