"""Is the C allocator costing a CPU run its speed? A high minor page-fault rate, named.

A CPU training step that reuses the same buffers should fault in almost no new pages once warm.
Thousands of minor faults per step mean the allocator hands large freed buffers back to the
kernel and faults them in again every step (``profiler.runner.allocator`` explains the
mechanism and the fix). ``allocator_finding`` says so with the figures; an A/B run with the
``tuned`` allocator measures what it costs.
"""

from __future__ import annotations

#: minor page faults per timed step above which a CPU run is flagged (a 4 KiB page each: 1,000
#: faults are 4 MiB of memory faulted in again per step)
FAULTS_PER_STEP = 1000
#: how the finding begins (the window offers an A/B run on a warning that starts with it)
ALLOCATOR_PREFIX = "allocator: "


def allocator_finding(device: str, allocator: str, faults: int | None, steps: int, timed_s: float) -> str:
    """One sentence when a CPU run's timed window faulted in many pages per step, else ""."""
    if device != "cpu" or faults is None or steps <= 0 or timed_s <= 0:
        return ""
    per_step = faults / steps
    if per_step < FAULTS_PER_STEP:
        return ""
    figures = (f"{faults:,} minor page faults in the timed window ({per_step:,.0f} per step, "
               f"{faults / timed_s:,.0f}/s, {per_step * 4 / 1024:,.1f} MiB faulted in again each step)")
    if allocator:
        return f"{ALLOCATOR_PREFIX}{figures} even with the '{allocator}' allocator"
    return (f"{ALLOCATOR_PREFIX}{figures}: the C allocator returns freed buffers to the kernel and faults them "
            "in again every step. Fix: keep them in the heap (MALLOC_MMAP_THRESHOLD_ and "
            "MALLOC_TRIM_THRESHOLD_, or the 'tuned' allocator); an allocator A/B run measures the gain")
