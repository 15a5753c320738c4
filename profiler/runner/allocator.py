"""The C allocator's behaviour, measured and tuned: minor page faults of the timed window, and
glibc's thresholds for a run that asks for the ``tuned`` allocator.

glibc's malloc serves a large request (128 KiB at first) with its own ``mmap`` and gives it back
to the kernel on ``free``; training frees and reallocates the same activation-sized buffers every
step, so each step faults all those pages in again (zeroed by the kernel). glibc raises that
threshold by itself after it sees such a buffer freed (its "dynamic mmap threshold"), but only up
to 32 MiB on 64-bit, and ``M_TRIM_THRESHOLD`` still returns the top of the heap. Measured here
(``bench/engine_vs_bare.py``): the same MLP loop ran 1.30x faster with 978k minor page faults
down to 20k once one large allocation had raised the threshold. A quick check of mlp-S here
(1 thread, busy machine, 10 steps): 2,212 minor faults per step as it comes, 102 with these
thresholds set by ``mallopt`` in the process, 25 with them in the environment at start. ``tuned`` sets both thresholds
high with ``mallopt`` (what ``MALLOC_MMAP_THRESHOLD_``/``MALLOC_TRIM_THRESHOLD_`` in the
environment do at start), so freed buffers stay in the heap and are reused without faults.
Source for the mechanism: glibc's mallopt(3) manual page (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger(__name__)

ALLOCATORS = ("", "tuned")
#: mallopt parameter numbers (glibc malloc.h)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
#: requests below this are served from the heap (bytes): 32 MiB, glibc's own ceiling for its
#: dynamic threshold (HEAP_MAX/2 on 64-bit), reached at once instead of after the first free
TUNED_MMAP_THRESHOLD = 32 << 20
#: free memory at the top of the heap kept instead of returned to the kernel (bytes): 1 GiB.
#: mallopt takes a C int: 4 GiB would wrap to 0 and trim on every free (measured: 3x the faults)
TUNED_TRIM_THRESHOLD = 1 << 30
#: the environment that does the same at a process's start (for the A/B advice and the bench)
TUNED_ENV = {"MALLOC_MMAP_THRESHOLD_": str(TUNED_MMAP_THRESHOLD), "MALLOC_TRIM_THRESHOLD_": str(TUNED_TRIM_THRESHOLD)}


def minor_faults() -> int | None:
    """This process's minor page faults so far (None where ``getrusage`` does not exist)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)


def apply_allocator(name: str) -> str:
    """Set this process's allocator behaviour for ``name`` ("" leaves it alone). Returns a
    notice for the run ("" when nothing needs saying)."""
    if not name:
        return ""
    if name != "tuned":
        raise ValueError(f"unknown allocator {name!r}; choose from {', '.join(repr(a) for a in ALLOCATORS)}")
    if not sys.platform.startswith("linux"):
        return "allocator 'tuned' is glibc's: this platform's allocator was left as it is"
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return "allocator 'tuned' needs glibc's mallopt, which this C library lacks; left as it is"
    ok = mallopt(M_MMAP_THRESHOLD, TUNED_MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TUNED_TRIM_THRESHOLD)
    if not ok:
        return "glibc refused the tuned allocator thresholds; the allocator was left as it is"
    log.debug("allocator tuned: mmap threshold %d, trim threshold %d", TUNED_MMAP_THRESHOLD, TUNED_TRIM_THRESHOLD)
    return (f"allocator tuned: glibc keeps freed buffers up to {TUNED_MMAP_THRESHOLD >> 20} MiB in its heap "
            "(M_MMAP_THRESHOLD, M_TRIM_THRESHOLD)")
