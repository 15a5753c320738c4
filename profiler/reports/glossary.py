"""What each number in a report means, in one sentence a stakeholder can read."""

from __future__ import annotations

MEANINGS: tuple[tuple[str, str], ...] = (
    ("samples/s", "training samples processed per second over the whole timed window (forward, "
     "backward and optimizer step), after warm-up; higher is better"),
    ("FLOP/s", "floating-point operations per second the model actually did: FLOPs counted per "
     "step over the measured step time (G = 10^9, T = 10^12)"),
    ("MFU", "model FLOPs utilization: achieved FLOP/s as a share of this device's hardware peak at "
     "the run's precision (ISA table, FMA microbenchmark or datasheet; see the machine); the share of "
     "the best GEMM measured here is in each run's details"),
    ("step time", "wall time of one optimizer step, synchronized with the device; median and "
     "the 5th-95th percentile range of the timed window"),
    ("peak memory", "the most memory the run held: device tensors on an accelerator, the worker "
     "process's resident memory on the CPU"),
    ("samples/J", "samples per joule of device energy, from the device's energy counter"),
    ("samples per unit of money", "samples per unit of the price book's currency: a purchase "
     "price spread over its useful hours plus measured electricity, or a cloud rate"),
    ("vs baseline", "samples/s over the baseline's, only for the same model and settings on "
     "another device, or other settings on the same device (labelled); a repeat shows its "
     "run-to-run spread instead"),
)


def meanings(shown: set[str] | None = None) -> tuple[tuple[str, str], ...]:
    """The meanings of the terms in ``shown`` (all when None), in a fixed order."""
    return tuple((term, text) for term, text in MEANINGS if shown is None or term in shown)
