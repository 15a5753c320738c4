"""The roofline of one training step on one device, and the memory-fit check.

Step time = max(compute, memory, launch) where compute = FLOPs / (peak for the run's precision),
memory = bytes moved / bandwidth, each divided by an efficiency drawn from measurements, and
launch = kernels x the per-kernel cost (accelerators only: a CPU's own efficiency already
holds its per-op overhead). A device with no peak for the precision gets no projection
(``NoFigure``), never one from another precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from profiler import units
from profiler.analysis.advisor.bands import Band, band_max, divide
from profiler.analysis.advisor.census import StepFacts
from profiler.analysis.advisor.hardware import HardwareDevice

#: usable share of an accelerator's memory and what the CUDA context, cuBLAS/cuDNN workspaces
#: and allocator slack take (a working assumption, not a measurement)
GPU_USABLE_FRACTION, GPU_RESERVED_BYTES = 0.9, 1 * 2**30
#: macOS lets Metal use about 3/4 of unified memory (MTLDevice.recommendedMaxWorkingSetSize)
UNIFIED_USABLE_FRACTION = 0.75
#: a CPU step whose working set fits in this share of the last-level cache runs from cache
CACHE_RESIDENT_SHARE = 0.5
FITS, NO_FIT, MAYBE, UNKNOWN = "fits", "does not fit", "may not fit", "unknown"


class NoFigure(ValueError):
    """The device lacks a figure the projection needs; the message is what the table shows."""


@dataclass(frozen=True)
class Roof:
    """Ideal times of one step on a device (s): compute and memory (a band: traffic bounds)."""

    compute_s: float | None
    memory_s: Band | None

    @property
    def ideal_s(self) -> Band:
        """The roofline time: the slower of the two roofs."""
        parts = [b for b in (Band.exact(self.compute_s) if self.compute_s else None, self.memory_s) if b]
        if not parts:
            raise NoFigure("n/a: no FLOP count and no traffic for this run")
        return band_max(*parts)

    def bound(self) -> str:
        if self.memory_s is None or (self.compute_s is not None and self.compute_s >= self.memory_s.nominal):
            return "compute"
        return "memory"


def roof(facts: StepFacts, device: HardwareDevice, precision: str) -> Roof:
    """The device's roofline for this step; ``NoFigure`` if its peak for the precision is missing."""
    peak = device.peak(precision)
    if peak is None:
        raise NoFigure(f"n/a: no {precision} figure for this device")
    compute = facts.flops / peak.value if facts.flops else None
    bandwidth = device.bandwidth_bytes_per_s
    memory = facts.bytes_moved.scale(1.0 / bandwidth.value) if bandwidth is not None else None
    if in_cache(facts, device):
        memory = None  # the step's data stays in the CPU's last-level cache: no DRAM roof
    if compute is None and memory is None:
        raise NoFigure("n/a: the run counted no FLOPs and the device has no bandwidth figure")
    return Roof(compute, memory)


def in_cache(facts: StepFacts, device: HardwareDevice) -> bool:
    cache = device.cache_bytes
    return (device.is_cpu and cache is not None and facts.activation_bytes is not None
            and facts.working_set_bytes <= CACHE_RESIDENT_SHARE * cache.value)


def step_time(facts: StepFacts, device: HardwareDevice, precision: str, efficiency: Band,
              per_kernel_s: Band | None) -> tuple[Band, str]:
    """(projected step time band in s, what bounds it: compute, memory or launch)."""
    r = roof(facts, device, precision)
    time = divide(r.ideal_s, efficiency)
    bound = r.bound()
    if per_kernel_s is not None and facts.kernels and not device.is_cpu:
        launch = per_kernel_s.scale(facts.kernels)
        if launch.nominal > time.nominal:
            bound = "launch"
        time = band_max(time, launch)
    return time, bound


@dataclass(frozen=True)
class MemoryFit:
    """Does the run's training state + activations fit the device's memory at its batch size?"""

    status: str
    needed_bytes: Band | None
    usable_bytes: float | None
    largest_batch: int | None
    message: str


def usable_memory(device: HardwareDevice) -> tuple[float | None, str]:
    if device.memory_bytes is None:
        what = "installed RAM" if device.is_cpu else "memory size"
        return None, f"unknown: no {what} figure for this device"
    total = device.memory_bytes.value
    if device.is_cpu:
        return total * GPU_USABLE_FRACTION, "90% of RAM"
    if device.unified_memory:
        return total * UNIFIED_USABLE_FRACTION, "75% of unified memory (Metal's working-set limit)"
    return total * GPU_USABLE_FRACTION - GPU_RESERVED_BYTES, "90% of memory less 1 GiB (context, workspaces)"


def memory_fit(facts: StepFacts, device: HardwareDevice) -> MemoryFit:
    """Weights + gradients + AdamW moments + activations at the batch against usable memory."""
    usable, basis = usable_memory(device)
    state = facts.state_bytes
    if usable is None:
        return MemoryFit(UNKNOWN, None, None, None, basis)
    if state >= usable:
        return MemoryFit(NO_FIT, None, usable, 0, f"does not fit: weights, gradients and AdamW state alone need "
                         f"{units.nbytes(state)} of {units.nbytes(usable)} usable ({basis})")
    per_sample = facts.activations_per_sample()
    if per_sample is None or facts.activation_bytes is None:
        return MemoryFit(UNKNOWN, None, usable, None, f"unknown: activations not known (state needs "
                         f"{units.nbytes(state)} of {units.nbytes(usable)} usable)")
    needed = facts.activation_bytes.plus(Band.exact(state))
    largest = math.floor((usable - state) / per_sample.nominal) if per_sample.nominal > 0 else None
    batch = facts.batch_size
    if needed.high <= usable:
        return MemoryFit(FITS, needed, usable, largest, f"fits at batch {batch} (needs about "
                         f"{units.nbytes(needed.nominal)} of {units.nbytes(usable)} usable)")
    status = NO_FIT if needed.low > usable else MAYBE
    largest_text = f"; largest batch about {largest}" if largest else ""
    return MemoryFit(status, needed, usable, largest, f"{status} at batch {batch} (needs about "
                     f"{units.nbytes(needed.nominal)} of {units.nbytes(usable)} usable){largest_text}")
