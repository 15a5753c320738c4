"""The best GEMM measured here: the fastest square GEMM over sizes and the backends torch offers.

A second reference beside the hardware peak: what this torch build can actually get out of
this device. CPU backends: ``torch.mm`` (MKL or OpenBLAS), oneDNN through a 1x1 convolution
(C = n channels over an image of n pixels: 2n^3 FLOP, as a matmul) and oneDNN's
``mkldnn_linear``; accelerators: ``torch.mm``. Sizes: 512-2048 on CPU, 2048-8192 elsewhere; a
size whose single call would not fit its share of the budget ends that backend's ramp.

Measure in a process of its own (``python -m profiler.workloads.ceiling``, which
``ceiling_cache`` starts): the GEMMs' buffers raise glibc's dynamic mmap threshold, which
would change the speed of a training run in the same process. The machine's load is read
before (refused above ``REFUSE_OTHERS_PERCENT`` unless forced) and during (flagged above
``BUSY_OTHERS_PERCENT``): a GEMM sharing a core with another process is slow.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any

import psutil
import torch
import torch.nn.functional as F

from profiler.error_text import first_line
from profiler.metrics.cpu_share import others_percent
from profiler.workloads.probes import PRECISION_DTYPES, cuda_fp32_matmul, dtype_name, timed_repeats
from profiler.workloads.sync import synchronize

log = logging.getLogger(__name__)

CPU_SIZES = (512, 1024, 2048)
ACCELERATOR_SIZES = (2048, 4096, 8192)
REPEATS = 5
#: other processes' share of the machine (percent) above which a measurement is flagged busy
BUSY_OTHERS_PERCENT = 15.0
#: ... and above which it is refused before it starts (unless forced)
REFUSE_OTHERS_PERCENT = 50.0
#: a bf16/fp16 ceiling below this fraction of fp32 gets a note
SLOW_DTYPE_RATIO = 0.5


@dataclass(frozen=True)
class CeilingMeasurement:
    """One measurement. ``flops_per_s`` None: refused or nothing ran (``refused`` / ``notes``).
    ``by_backend`` maps backend -> {n: best FLOP/s}; load figures are percent of the machine."""

    device: str
    precision: str
    dtype: str
    threads: int | None
    torch: str
    flops_per_s: float | None
    backend: str | None = None
    n: int | None = None
    spread: float | None = None
    by_backend: dict[str, dict[str, float]] = field(default_factory=dict)
    others_before_percent: float | None = None
    others_during_percent: float | None = None
    busy: bool = False
    refused: str | None = None
    notes: list[str] = field(default_factory=list)
    measured_at: float = 0.0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Load:
    """Other processes' share of the machine between ``start`` and ``stop`` (host busy, steal
    included, minus this process and its children)."""

    def __init__(self) -> None:
        self._proc = psutil.Process(os.getpid())
        self._cpus = psutil.cpu_count() or 1

    @staticmethod
    def _busy_s(times: Any) -> float:
        return float(sum(times)) - float(times.idle) - float(getattr(times, "iowait", 0.0))

    def _own_s(self) -> float:
        t = self._proc.cpu_times()
        return float(t.user + t.system + t.children_user + t.children_system)

    def start(self) -> None:
        self._t0, self._host0, self._own0 = time.perf_counter(), self._busy_s(psutil.cpu_times()), self._own_s()

    def stop(self) -> float | None:
        wall_s = time.perf_counter() - self._t0
        if wall_s <= 0:
            return None
        host = 100 * (self._busy_s(psutil.cpu_times()) - self._host0) / (wall_s * self._cpus)
        own = 100 * (self._own_s() - self._own0) / wall_s  # percent of one core
        return others_percent(host, own, self._cpus)


def others_before(seconds: float = 0.5) -> float | None:
    """Other processes' share of the machine over the next ``seconds`` (this one idles)."""
    load = _Load()
    load.start()
    time.sleep(seconds)
    return load.stop()


def _operands(backend: str, dev: torch.device, dtype: torch.dtype, n: int) -> Callable[[], object]:
    """A zero-argument op doing one 2n^3-FLOP GEMM through ``backend``."""
    if backend == "torch.mm":
        a = torch.randn(n, n, device=dev).to(dtype)
        b = torch.randn(n, n, device=dev).to(dtype)
        c = torch.empty(n, n, device=dev, dtype=dtype)
        return lambda: torch.mm(a, b, out=c)
    if backend == "oneDNN 1x1 conv":
        h = 1 << (int(math.log2(n)) // 2)  # image of h x (n / h) = n pixels
        x = torch.randn(1, n, h, n // h).to(dtype).contiguous(memory_format=torch.channels_last)
        w = torch.randn(n, n, 1, 1).to(dtype).contiguous(memory_format=torch.channels_last)
        return lambda: F.conv2d(x, w)
    if backend == "mkldnn linear":
        xm = torch.randn(n, n).to(dtype).to_mkldnn()
        wm = torch.randn(n, n).to(dtype).to_mkldnn()
        return lambda: torch._C._nn.mkldnn_linear(xm, wm, None)
    raise ValueError(f"unknown backend {backend!r}")


def backends_for(dev: torch.device) -> tuple[str, ...]:
    if dev.type != "cpu":
        return ("torch.mm",)
    if torch.backends.mkldnn.is_available():
        return ("torch.mm", "oneDNN 1x1 conv", "mkldnn linear")
    return ("torch.mm",)


def _one_call_s(dev: torch.device, op: Callable[[], object]) -> float:
    op()  # warm: first calls pick kernels and allocate
    synchronize(dev)
    t0 = time.perf_counter()
    op()
    synchronize(dev)
    return time.perf_counter() - t0


def _ramp(dev: torch.device, dtype: torch.dtype, backend: str, sizes: tuple[int, ...], budget_s: float,
          notes: list[str]) -> dict[int, tuple[float, float]]:
    """{n: (best FLOP/s, spread)} for ``backend`` up the sizes while one call fits the budget."""
    out: dict[int, tuple[float, float]] = {}
    share_s = budget_s / len(sizes)
    for n in sizes:
        try:
            op = _operands(backend, dev, dtype, n)
            once_s = _one_call_s(dev, op)
            if out and once_s > share_s / 2:
                break  # a size that takes most of its share alone says little; larger ones fit less
            times = timed_repeats(dev, op, max(share_s, 2 * once_s), REPEATS)
        except (RuntimeError, NotImplementedError, TypeError) as exc:
            notes.append(f"{backend} {dtype_name(dtype)} n={n} unavailable: "
                         f"{first_line(exc, 160)}")
            break
        rates = [2 * n**3 / t for t in times]
        out[n] = (max(rates), (max(rates) - min(rates)) / max(rates))
        if once_s > share_s / 2:
            break
    return out


def measure_ceiling(device: str, precision: str, seconds: float = 3.0, force: bool = False,
                    sizes: tuple[int, ...] | None = None) -> CeilingMeasurement:
    """Measure the best GEMM on ``device`` at ``precision`` in about ``seconds`` (blocking)."""
    dev = torch.device(device)
    dtype = PRECISION_DTYPES[precision]
    base: dict[str, Any] = {"device": str(dev), "precision": precision, "dtype": dtype_name(dtype),
                            "threads": torch.get_num_threads() if dev.type == "cpu" else None,
                            "torch": torch.__version__, "measured_at": time.time()}
    started = time.perf_counter()
    before = others_before()
    if before is not None and before > REFUSE_OTHERS_PERCENT and not force:
        return CeilingMeasurement(**base, flops_per_s=None, others_before_percent=before,
                                  refused=f"other processes used {before:.0f}% of the CPU: the machine is too busy "
                                          f"for a meaningful ceiling", busy=True)
    notes: list[str] = []
    if precision == "tf32" and dev.type != "cuda":
        notes.append(f"TF32 is a CUDA mode; {dev.type} runs fp32")
    sizes = sizes or (CPU_SIZES if dev.type == "cpu" else ACCELERATOR_SIZES)
    backends = backends_for(dev)
    load = _Load()
    load.start()
    with cuda_fp32_matmul(tf32=precision == "tf32") if dev.type == "cuda" else nullcontext():
        by_backend = {b: _ramp(dev, dtype, b, sizes, seconds / len(backends), notes) for b in backends}
        fp32_best = None
        if dtype in (torch.bfloat16, torch.float16):
            fp32 = _ramp(dev, torch.float32, "torch.mm", sizes[:2], seconds / 6, notes)
            fp32_best = max((r for r, _ in fp32.values()), default=None)
    during = load.stop()
    best = max(((r, s, b, n) for b, found in by_backend.items() for n, (r, s) in found.items()), default=None)
    if best is not None and fp32_best and best[0] < SLOW_DTYPE_RATIO * fp32_best:
        notes.append(f"{dtype_name(dtype)} runs at {100 * best[0] / fp32_best:.0f}% of float32 here: "
                     f"no fast {dtype_name(dtype)} kernel")
    busy = any(x is not None and x > BUSY_OTHERS_PERCENT for x in (before, during))
    if busy:
        notes.append(f"other processes used {max(x or 0.0 for x in (before, during)):.0f}% of the CPU while the "
                     f"ceiling was measured: it may be low")
    return CeilingMeasurement(
        **base, flops_per_s=best[0] if best else None, backend=best[2] if best else None,
        n=best[3] if best else None, spread=best[1] if best else None,
        by_backend={b: {str(n): r for n, (r, _) in found.items()} for b, found in by_backend.items()},
        others_before_percent=before, others_during_percent=during, busy=busy, notes=notes,
        seconds=time.perf_counter() - started,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="measure the best GEMM here; prints one JSON object")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", default="fp32", choices=sorted(PRECISION_DTYPES))
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--force", action="store_true", help="measure even on a busy machine")
    args = parser.parse_args(argv)
    from profiler.lifeline import die_with_parent

    die_with_parent()
    if args.threads:
        torch.set_num_threads(args.threads)
    result = measure_ceiling(args.device, args.precision, args.seconds, args.force)
    print(json.dumps(result.to_dict(), allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
