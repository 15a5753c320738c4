"""Short hardware probes: achieved matmul FLOP/s and memory copy bandwidth of a device.

These give the "peak" that model-FLOP utilisation (MFU) is measured against when no
published figure matches the device. Each probe warms up, then times several repeats and
reports the best with the spread between repeats. Timing uses ``perf_counter`` around an
explicit device synchronize at the window's edges (CPU work is synchronous).

Probes are blocking and take about ``seconds`` each; call them from a worker thread, not a
GUI thread. ``peak_for`` serialises probes (two at once would disturb each other) and
caches per process.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch

from profiler.workloads.sync import synchronize

log = logging.getLogger(__name__)

PRECISION_DTYPES: dict[str, torch.dtype] = {
    "fp32": torch.float32,
    "tf32": torch.float32,
    "bf16": torch.bfloat16,
    "fp16": torch.float16,
}
REPEATS = 5
#: one matmul may take up to seconds / this before n is reduced
MIN_REPEATS_IN_BUDGET = 3
#: a reduced-precision matmul slower than this fraction of fp32 is flagged in ``reason``
SLOW_DTYPE_RATIO = 0.5
TRIAL_N = 256
CPU_N = 2048
ACCELERATOR_N = 8192
CPU_COPY_BYTES = 256 * 2**20
ACCELERATOR_COPY_BYTES = 2 * 2**30


@dataclass(frozen=True)
class ProbeResult:
    """One probe's outcome. ``value`` is FLOP/s (matmul) or bytes/s (bandwidth), or None.

    ``n`` is the matrix side (matmul) or bytes per copied tensor (bandwidth); ``spread`` is
    (best - worst) / best over the timed repeats; ``seconds`` the wall time the probe took,
    warm-up included; ``reason`` says why ``value`` is None, or notes how it was measured.
    """

    device: str
    what: str
    dtype: str
    value: float | None
    n: int | None = None
    repeats: int = 0
    spread: float | None = None
    seconds: float = 0.0
    reason: str = ""
    precision: str = ""
    threads: int | None = None

    @property
    def flops_per_s(self) -> float | None:
        return self.value if self.what == "matmul" else None

    @property
    def bytes_per_s(self) -> float | None:
        return self.value if self.what == "bandwidth" else None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def precision_dtype(precision: str) -> torch.dtype:
    """The dtype matmuls run in at a run precision (tf32 is float32 storage)."""
    try:
        return PRECISION_DTYPES[precision]
    except KeyError:
        raise ValueError(
            f"unknown precision {precision!r}; choose from {', '.join(PRECISION_DTYPES)}"
        ) from None


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def default_matmul_n(device: torch.device | str) -> int:
    return CPU_N if torch.device(device).type == "cpu" else ACCELERATOR_N


def _threads(dev: torch.device) -> int | None:
    return torch.get_num_threads() if dev.type == "cpu" else None


def timed_repeats(
    dev: torch.device, op: Callable[[], object], seconds: float, repeats: int
) -> list[float]:
    """Warm up ``op``, then time ``repeats`` windows of about seconds/repeats; seconds per op."""
    synchronize(dev)
    start = time.perf_counter()
    warm_calls = 0
    per_call_s = math.inf
    while warm_calls < 2 or time.perf_counter() - start < 0.15 * seconds:
        t0 = time.perf_counter()
        op()
        synchronize(dev)
        per_call_s = time.perf_counter() - t0
        warm_calls += 1
    calls = max(1, int(0.85 * seconds / repeats / max(per_call_s, 1e-9)))
    times: list[float] = []
    for _ in range(repeats):
        synchronize(dev)
        t0 = time.perf_counter()
        for _ in range(calls):
            op()
        synchronize(dev)
        times.append((time.perf_counter() - t0) / calls)
    return times


def _call_s(dev: torch.device, dtype: torch.dtype, side: int, calls: int) -> float:
    """Seconds of the fastest of ``calls`` single ``side``-sized matmuls."""
    a = torch.randn(side, side, device=dev).to(dtype)
    best_s = math.inf
    for _ in range(calls):
        synchronize(dev)
        t0 = time.perf_counter()
        torch.mm(a, a)
        synchronize(dev)
        best_s = min(best_s, time.perf_counter() - t0)
    return best_s


def _fit_n(dev: torch.device, dtype: torch.dtype, n: int, budget_s: float) -> tuple[int, str]:
    """The largest side up to ``n`` whose matmul should fit ``budget_s``; notes for ``reason``.

    Ramps up from ``TRIAL_N``, doubling while the next size is predicted (time x 8) to fit:
    timing real sizes, not extrapolating from a tiny one, because on a busy CPU a small
    matmul can wait a whole scheduler slice for a preempted thread (measured: 16 ms for a
    0.3 ms matmul). bf16/fp16 far slower than fp32 at the chosen size is flagged.
    """
    side = min(n, TRIAL_N)
    took_s = _call_s(dev, dtype, side, 2)
    while side < n and took_s * (min(2 * side, n) / side) ** 3 <= budget_s:
        side = min(2 * side, n)
        took_s = _call_s(dev, dtype, side, 2)
    notes = []
    if dtype in (torch.bfloat16, torch.float16):
        rate = 2 * side**3 / took_s
        fp32_side = max(side, 2 * TRIAL_N)
        fp32_rate = 2 * fp32_side**3 / _call_s(dev, torch.float32, fp32_side, 3)
        if rate < SLOW_DTYPE_RATIO * fp32_rate:
            notes.append(
                f"{dtype_name(dtype)} matmul runs at {100 * rate / fp32_rate:.0f}% of float32 "
                f"speed here: this device has no fast kernel for it"
            )
    if side < n:
        notes.append(f"n reduced from {n} to {side} to fit the time budget")
    return side, "; ".join(notes)


def matmul_peak(
    device: torch.device | str, dtype: torch.dtype, seconds: float = 1.0, n: int | None = None
) -> ProbeResult:
    """Achieved FLOP/s of square ``n x n`` matmuls in ``dtype`` on ``device`` (best repeat).

    ``n`` defaults to 2048 on CPU and 8192 on accelerators, and is reduced when one matmul
    would take more than a third of ``seconds`` (then the probe may run over ``seconds``
    by up to a few matmuls). A bf16/fp16 matmul far slower than fp32 is flagged in
    ``reason``. A dtype the device cannot multiply gives ``value=None`` with the error as
    ``reason``.
    """
    dev = torch.device(device)
    side = default_matmul_n(dev) if n is None else int(n)
    started = time.perf_counter()
    base: dict[str, Any] = {"device": str(dev), "what": "matmul", "dtype": dtype_name(dtype), "threads": _threads(dev)}
    try:
        side, note = _fit_n(dev, dtype, side, seconds / MIN_REPEATS_IN_BUDGET)
        a = torch.randn(side, side, device=dev).to(dtype)
        b = torch.randn(side, side, device=dev).to(dtype)
        c = torch.empty(side, side, device=dev, dtype=dtype)
        times = timed_repeats(dev, lambda: torch.mm(a, b, out=c), seconds, REPEATS)
    except (RuntimeError, NotImplementedError, TypeError) as exc:
        log.info("matmul probe %s %s unavailable: %s", dev, dtype, exc)
        return ProbeResult(**base, value=None, n=side, reason=f"{type(exc).__name__}: {exc}",
                           seconds=time.perf_counter() - started)
    rates = [2 * side**3 / t for t in times]
    best = max(rates)
    return ProbeResult(
        **base, value=best, n=side, repeats=len(rates), spread=(best - min(rates)) / best,
        seconds=time.perf_counter() - started, reason=note,
    )


def _default_copy_bytes(dev: torch.device) -> int:
    if dev.type == "cpu":
        return CPU_COPY_BYTES
    if dev.type == "cuda":
        free_bytes, _total = torch.cuda.mem_get_info(dev)
        return max(64 * 2**20, min(ACCELERATOR_COPY_BYTES, free_bytes // 4))
    return ACCELERATOR_COPY_BYTES


def memory_bandwidth(
    device: torch.device | str, seconds: float = 1.0, n_bytes: int | None = None
) -> ProbeResult:
    """Achieved bytes/s of a large tensor copy on ``device``, read + write counted.

    ``n_bytes`` (per tensor) defaults to 256 MiB on CPU, 2 GiB on accelerators (at most a
    quarter of free CUDA memory): far past any cache, so this is memory bandwidth. Best of
    the timed repeats.
    """
    dev = torch.device(device)
    size = _default_copy_bytes(dev) if n_bytes is None else n_bytes
    started = time.perf_counter()
    base: dict[str, Any] = {"device": str(dev), "what": "bandwidth", "dtype": "uint8", "threads": _threads(dev)}
    try:
        src = torch.ones(size, dtype=torch.uint8, device=dev)
        dst = torch.empty_like(src)
        times = timed_repeats(dev, lambda: dst.copy_(src), seconds, REPEATS)
    except (RuntimeError, MemoryError) as exc:
        log.info("bandwidth probe %s unavailable: %s", dev, exc)
        return ProbeResult(**base, value=None, n=size, reason=f"{type(exc).__name__}: {exc}",
                           seconds=time.perf_counter() - started)
    rates = [2 * size / t for t in times]
    best = max(rates)
    return ProbeResult(
        **base, value=best, n=size, repeats=len(rates), spread=(best - min(rates)) / best,
        seconds=time.perf_counter() - started,
    )


@contextmanager
def cuda_fp32_matmul(tf32: bool) -> Iterator[None]:
    """Allow (or forbid) TF32 for CUDA fp32 matmuls inside the block, restoring after.

    Uses the legacy ``allow_tf32`` switch, the same API family as ``runner.precision``:
    mixing it with ``torch.backends.cuda.matmul.fp32_precision`` raises in torch 2.13.
    """
    matmul = torch.backends.cuda.matmul
    previous = matmul.allow_tf32
    matmul.allow_tf32 = tf32
    try:
        yield
    finally:
        matmul.allow_tf32 = previous


_CACHE: dict[tuple[str, str, int | None], ProbeResult] = {}
_LOCK = threading.Lock()


def peak_for(device: torch.device | str, precision: str, seconds: float = 1.0) -> ProbeResult:
    """Measured matmul peak of ``device`` at a run precision (fp32/tf32/bf16/fp16), cached.

    The cache is per process, keyed by (device, precision) and, on CPU, the torch thread
    count (a 1-thread peak is not a 2-thread peak). On CPU "tf32" measures fp32 (TF32 is a
    CUDA tensor-core mode). On CUDA, "fp32" forbids TF32 and "tf32" allows it.
    """
    precision_dtype(precision)
    dev = torch.device(device)
    key = (str(dev), precision, _threads(dev))
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = _measure_peak(dev, precision, seconds)
        return _CACHE[key]


def _measure_peak(dev: torch.device, precision: str, seconds: float) -> ProbeResult:
    dtype = PRECISION_DTYPES[precision]
    note = ""
    if dev.type == "cuda" and dtype == torch.float32:
        with cuda_fp32_matmul(tf32=precision == "tf32"):
            result = matmul_peak(dev, dtype, seconds)
    else:
        if precision == "tf32":
            note = f"TF32 is a CUDA mode; {dev.type} runs fp32"
        result = matmul_peak(dev, dtype, seconds)
    reason = "; ".join(r for r in (note, result.reason) if r)
    log.info("peak %s %s: %s FLOP/s (n=%s)", dev, precision, result.value, result.n)
    return dataclasses.replace(result, precision=precision, reason=reason)


def clear_cache() -> None:
    """Forget cached peaks (after the thread count or clocks changed)."""
    with _LOCK:
        _CACHE.clear()

