"""Does the model fit? Decided from its meta-device footprint before a byte is allocated.

``refusal`` compares a ``Footprint`` (``profiler.workloads.footprint``) with the memory the
run may use (``usable_for``: the host's RAM, cgroup and rlimits for the CPU; the device's
memory for an accelerator) and returns one line when even batch 1 cannot fit:

    hf:llama does not fit: needs about 100 GiB for weights, gradients and AdamW state at fp32
    (6.74B parameters); 23.5 GiB usable (the machine's RAM); largest model of this shape that
    fits: ~1.5B

A batch that is merely too large is left to the run's out-of-memory batch search. Refusals
are ``DoesNotFit`` (a ``SpecError``: nothing ran; the CLI exits 1, not 2: the input is valid,
this machine is too small). Pure functions; thread-safe.
"""

from __future__ import annotations

from typing import Any

import torch

from profiler import units
from profiler.devices.discovery import DeviceInfo
from profiler.results.spec import SpecError
from profiler.workloads.footprint import Footprint, usable_memory_bytes

#: the activations of one sample are measured (a meta forward at two batches: seconds for a long
#: LSTM) only when weights, gradients and optimizer state alone take more than this share
#: of the usable memory; below it one sample's activations cannot tip the balance in practice
ACTIVATIONS_MATTER_SHARE = 0.5
#: element size (bytes) -> the word for the weights' precision
DTYPE_WORDS = {4: "fp32", 2: "16-bit", 8: "fp64", 1: "8-bit"}


class DoesNotFit(SpecError):
    """The model cannot train here at any batch size (one line; exit 1, nothing allocated)."""


def usable_for(device: str, info: DeviceInfo | None = None) -> tuple[int, str] | None:
    """(bytes, what limits it) for a run on ``device``. The host's limits for the CPU (and MPS,
    whose memory is the host's); an accelerator's total memory from ``info`` where known, else
    its driver's free memory; None when nothing is known."""
    kind = torch.device(device).type
    if kind in ("cpu", "mps"):
        return usable_memory_bytes()
    if info is not None and info.memory_bytes:
        return int(info.memory_bytes), f"{device}'s memory"
    try:
        return usable_memory_bytes(device)
    except Exception:  # no such device here
        return None


def refusal(label: str, footprint: Footprint, usable: int, limited_by: str) -> str:
    """One line saying why ``footprint`` cannot train in ``usable`` bytes; "" if batch 1 fits."""
    if footprint.max_batch(usable) is not None:
        return ""
    largest = footprint.largest_parameters(usable)
    tail = (f"largest model of this shape that fits: ~{short_count(largest)}" if largest
            else "no model of this shape fits")
    where = f"{units.nbytes(usable)} usable ({limited_by})"
    params = f"{short_count(footprint.parameters)} parameters"
    if footprint.fixed_bytes > usable:
        return (f"{label} does not fit: needs about {units.nbytes(footprint.fixed_bytes)} for weights, gradients "
                f"and {footprint.optimizer} state at {precision_word(footprint)} ({params}); {where}; {tail}")
    return (f"{label} does not fit: needs about {units.nbytes(footprint.training_bytes(1))} at batch 1 (weights, "
            f"gradients, {footprint.optimizer} state and activations, {params}); {where}; {tail}")


def check_fit(label: str, footprint: Footprint, device: str, info: DeviceInfo | None = None) -> None:
    """Raise ``DoesNotFit`` if ``footprint`` cannot train on ``device`` at batch 1."""
    usable = usable_for(device, info)
    if usable is None:
        return
    message = refusal(label, footprint, *usable)
    if message:
        raise DoesNotFit(message)


def activations_matter(footprint: Footprint, device: str, info: DeviceInfo | None = None) -> bool:
    """Whether one sample's activations could decide the fit (see ``ACTIVATIONS_MATTER_SHARE``)."""
    usable = usable_for(device, info)
    return usable is not None and footprint.fixed_bytes > ACTIVATIONS_MATTER_SHARE * usable[0]


def footprint_from_dict(data: dict[str, Any] | None) -> Footprint | None:
    """A ``Footprint`` sent across a process pipe (``Footprint.to_dict``); None for none."""
    return Footprint(**data) if data else None


def precision_word(footprint: Footprint) -> str:
    """The weights' precision in words (``fp32``), from their bytes per parameter."""
    if footprint.parameters <= 0:
        return "fp32"
    size = round(footprint.weights_bytes / footprint.parameters)
    return DTYPE_WORDS.get(size, f"{size} bytes per parameter")


def short_count(n: float) -> str:
    """``1.4B``, ``350M``, ``12K``: a parameter count in short form (3 significant digits)."""
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= scale:
            return f"{n / scale:.3g}{suffix}"
    return f"{n:.0f}"
