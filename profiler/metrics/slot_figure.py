"""The figure for a card slot that has no comparison to show (a CPU-only machine). Qt-free.

Presentation mode's fourth card says "speedup vs CPU"; on a machine with nothing but the CPU
there is nothing to compare, and "baseline" says nothing. This picks a true figure of the run
instead: samples per joule when energy was measured, else MFU against the best GEMM measured
on this machine (else against the hardware peak). Every value is the engine's own figure
(``RunResult.samples_per_j``, ``Figures.mfu``/``mfu_ceiling``); None when none was measured.
"""

from __future__ import annotations

from dataclasses import dataclass

from profiler import units


@dataclass(frozen=True)
class SlotFigure:
    """``title`` (the card's, upper case), ``text`` the figure with its unit, ``caption`` what it is."""

    title: str
    text: str
    caption: str


def slot_figure(samples_per_j: float | None, mfu: float | None, mfu_ceiling: float | None,
                sample_unit: str = "samples") -> SlotFigure | None:
    """The most telling measured figure for a slot without a comparison, or None.
    ``samples_per_j`` in samples per joule; ``mfu``/``mfu_ceiling`` as fractions (0.43)."""
    unit = sample_unit or "samples"
    if samples_per_j:
        return SlotFigure(f"{unit.upper()} PER JOULE", units.si(samples_per_j, f"{unit}/J", spaced=True),
                          "measured energy over the timed window")
    if mfu_ceiling is not None:
        return SlotFigure("OF THE BEST GEMM HERE", units.share(mfu_ceiling),
                          "the training step against the fastest matrix multiply measured on this machine")
    if mfu is not None:
        return SlotFigure("OF HARDWARE PEAK", units.share(mfu), "the training step against this device's peak FLOP/s")
    return None
