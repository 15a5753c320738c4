"""Core clock and FMA throughput of an x86-64 CPU, from a few bytes of JIT-ed machine code.

Pure Python cannot time a cycle, so this writes three tiny loops into an executable ``mmap``
page and calls them through ``ctypes`` (which releases the GIL, so N Python threads run N
cores at once):

- ``add_chain(n)``: ``n`` x 64 dependent ``add rax, rdx`` (register-register: no renamer can
  fold it, unlike ``add rax, 1`` on Golden Cove). One add per cycle, so cycles = 64n and the
  clock is 64n / seconds. Not ``/proc/cpuinfo``'s "cpu MHz", which is often the TSC rate.
- ``fma512(n)`` / ``fma256(n)``: ``n`` x 12 independent ``vfmadd231ps`` on zeroed zmm/ymm
  registers (12 accumulators cover 2 pipes x 4-5 cycles latency). FLOP = n x 12 x lanes x 2.

System V calling convention (argument in rdi), so Linux and macOS on x86-64 only; elsewhere,
or where the OS refuses an executable mapping, ``jit_unavailable()`` says why. Run it through
``run_in_subprocess``: a CPU that faults on an instruction kills that process, not the caller,
and the caller's allocator is never touched. ``python -m profiler.devices.cpu_microbench``
prints one JSON object.

Threading: ``measure`` starts its own threads and joins them; call it from one thread.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import mmap
import platform
import sys
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from profiler.child_process import run_json_child
from profiler.lifeline import die_with_parent, python_command

ADDS_PER_ITER = 64
FMAS_PER_ITER = 12
_ADD = "48 01 d0"  # add rax, rdx
_ADD_CHAIN_HEAD = "ba 01 00 00 00 31 c0"  # mov edx, 1; xor eax, eax
_DEC_RDI = "48 ff cf"  # dec rdi
_EPILOGUE = "c5 f8 77 48 89 f8 c3"  # vzeroupper; mov rax, rdi; ret
_ZERO_ZMM = [  # vpxord zmm_i, zmm_i, zmm_i for i = 0..11, 30, 31
    "62 f1 7d 48 ef c0", "62 f1 75 48 ef c9", "62 f1 6d 48 ef d2", "62 f1 65 48 ef db",
    "62 f1 5d 48 ef e4", "62 f1 55 48 ef ed", "62 f1 4d 48 ef f6", "62 f1 45 48 ef ff",
    "62 51 3d 48 ef c0", "62 51 35 48 ef c9", "62 51 2d 48 ef d2", "62 51 25 48 ef db",
    "62 01 0d 40 ef f6", "62 01 05 40 ef ff",
]
_FMA_ZMM = [  # vfmadd231ps zmm_i, zmm30, zmm31 for i = 0..11
    "62 92 0d 40 b8 c7", "62 92 0d 40 b8 cf", "62 92 0d 40 b8 d7", "62 92 0d 40 b8 df",
    "62 92 0d 40 b8 e7", "62 92 0d 40 b8 ef", "62 92 0d 40 b8 f7", "62 92 0d 40 b8 ff",
    "62 12 0d 40 b8 c7", "62 12 0d 40 b8 cf", "62 12 0d 40 b8 d7", "62 12 0d 40 b8 df",
]
_ZERO_YMM = [  # vxorps ymm_i, ymm_i, ymm_i for i = 0..11, 14, 15
    "c5 fc 57 c0", "c5 f4 57 c9", "c5 ec 57 d2", "c5 e4 57 db", "c5 dc 57 e4", "c5 d4 57 ed",
    "c5 cc 57 f6", "c5 c4 57 ff", "c4 41 3c 57 c0", "c4 41 34 57 c9", "c4 41 2c 57 d2",
    "c4 41 24 57 db", "c4 41 0c 57 f6", "c4 41 04 57 ff",
]
_FMA_YMM = [  # vfmadd231ps ymm_i, ymm14, ymm15 for i = 0..11
    "c4 c2 0d b8 c7", "c4 c2 0d b8 cf", "c4 c2 0d b8 d7", "c4 c2 0d b8 df", "c4 c2 0d b8 e7",
    "c4 c2 0d b8 ef", "c4 c2 0d b8 f7", "c4 c2 0d b8 ff", "c4 42 0d b8 c7", "c4 42 0d b8 cf",
    "c4 42 0d b8 d7", "c4 42 0d b8 df",
]
#: vector lanes of float32 per FMA instruction
LANES = {"avx512": 16, "avx2": 8}


def _hex(parts: list[str] | str) -> bytes:
    return bytes.fromhex(" ".join(parts) if isinstance(parts, list) else parts)


def add_chain_code() -> bytes:
    """``add_chain(n)``: returns 64n (the chain's sum), which proves it ran."""
    body = _hex(_ADD) * ADDS_PER_ITER + _hex(_DEC_RDI)
    rel32 = -(len(body) + 6)  # jnz rel32 back to the loop's first add
    return _hex(_ADD_CHAIN_HEAD) + body + b"\x0f\x85" + rel32.to_bytes(4, "little", signed=True) + b"\xc3"


def fma_code(isa: str) -> bytes:
    """``fma512(n)`` or ``fma256(n)`` (isa ``avx512``/``avx2``): returns 0."""
    zero, fma = (_ZERO_ZMM, _FMA_ZMM) if isa == "avx512" else (_ZERO_YMM, _FMA_YMM)
    body = _hex(fma) + _hex(_DEC_RDI)
    rel8 = -(len(body) + 2)
    return _hex(zero) + body + b"\x75" + rel8.to_bytes(1, "little", signed=True) + _hex(_EPILOGUE)


def jit_unavailable() -> str:
    """Why machine code cannot run here ("" when it can)."""
    machine = platform.machine().lower()
    if machine not in ("x86_64", "amd64"):
        return f"the microbenchmark is x86-64 machine code and this CPU is {machine or 'unknown'}"
    if sys.platform.startswith("win"):
        return "the microbenchmark needs an executable mmap and the System V calling convention (not Windows)"
    if not hasattr(mmap, "PROT_EXEC"):
        return "this Python's mmap has no PROT_EXEC"
    return ""


class _Kernel:
    """Machine code in an executable page, callable as ``uint64 f(uint64 n)``."""

    def __init__(self, code: bytes) -> None:
        self._page = mmap.mmap(-1, max(mmap.PAGESIZE, len(code)),
                               prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        self._page.write(code)
        address = ctypes.addressof(ctypes.c_char.from_buffer(self._page))
        self.call = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_uint64)(address)


@dataclass(frozen=True)
class Microbench:
    """What the loops measured. ``clock_ghz``: the clock with ``threads`` cores busy at once (mean
    over threads of each thread's best; min/max over threads); ``single_clock_ghz``: one core's
    clock alone; ``fma_flop_per_cycle``: float32 FLOP per cycle of one core, its FMA rate over
    its own clock measured alongside (None: not run)."""

    threads: int
    clock_ghz: float
    clock_min_ghz: float
    clock_max_ghz: float
    single_clock_ghz: float
    fma_isa: str | None = None
    fma_flop_per_cycle: float | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _best_rates(kernel: _Kernel, iters: int, threads: int, repeats: int, expect: int | None) -> list[float]:
    """Per thread, the best iterations/s over ``repeats`` concurrent calls of ``iters``: a thread
    that another process preempts only ever reads slow, so the best is the unshared rate."""
    barrier = threading.Barrier(threads)
    best = [0.0] * threads
    errors: list[str] = []

    def work(i: int) -> None:
        for _ in range(repeats):
            barrier.wait()
            t0 = time.perf_counter()
            out = kernel.call(iters)
            dt = time.perf_counter() - t0
            if expect is not None and out != expect:
                errors.append(f"kernel returned {out}, expected {expect}")
            best[i] = max(best[i], iters / dt)

    pool = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise RuntimeError(errors[0])
    return best


def _rate(kernel: _Kernel, iters: int) -> float:
    """Iterations/s of one call on the calling thread."""
    t0 = time.perf_counter()
    kernel.call(iters)
    return iters / (time.perf_counter() - t0)


def _iterations(kernel: _Kernel, target_s: float, probe_iters: int = 20_000) -> int:
    t0 = time.perf_counter()
    kernel.call(probe_iters)
    per_iter_s = max((time.perf_counter() - t0) / probe_iters, 1e-10)
    return max(probe_iters, int(target_s / per_iter_s))


def _single_core(chain: _Kernel, chain_iters: int, isa: str | None, target_s: float,
                 repeats: int) -> tuple[float, float | None]:
    """One core's clock (Hz) and FMA FLOP per cycle (None without ``isa``): the best FMA rate
    over the best clock, both on one thread, alternating so that both see the same moments. Both
    bests are unshared rates (a preempted call only reads slow); a ratio per round would not be
    (a preempted clock reading inflates it)."""
    fma = _Kernel(fma_code(isa)) if isa else None
    fma_iters = _iterations(fma, target_s) if fma else 0
    clock_hz, fma_per_s = 0.0, 0.0
    for _ in range(3 * repeats if fma else repeats):
        clock_hz = max(clock_hz, _rate(chain, chain_iters) * ADDS_PER_ITER)
        if fma is not None:
            fma_per_s = max(fma_per_s, _rate(fma, fma_iters))
    if isa is None:
        return clock_hz, None
    return clock_hz, fma_per_s * FMAS_PER_ITER * LANES[isa] * 2 / clock_hz


def measure(threads: int, fma_isa: str | None = None, target_s: float = 0.002, repeats: int = 40) -> Microbench:
    """Measure the clock on ``threads`` cores at once and, if ``fma_isa`` (avx512/avx2), one
    core's FMA rate. Raises OSError when the OS refuses an executable page, RuntimeError on
    nonsense."""
    started = time.perf_counter()
    chain = _Kernel(add_chain_code())
    iters = _iterations(chain, target_s)
    rates = _best_rates(chain, iters, threads, repeats, expect=iters * ADDS_PER_ITER)
    clocks = [r * ADDS_PER_ITER / 1e9 for r in rates]
    single_hz, flop_per_cycle = _single_core(chain, iters, fma_isa, target_s, repeats)
    return Microbench(threads, sum(clocks) / len(clocks), min(clocks), max(clocks), single_hz / 1e9,
                      fma_isa, flop_per_cycle, time.perf_counter() - started)


def run_in_subprocess(threads: int, fma_isa: str | None, timeout_s: float = 30.0) -> Microbench | str:
    """``measure`` in a child process; a ``Microbench``, or a sentence saying why not."""
    reason = jit_unavailable()
    if reason:
        return reason
    cmd = python_command("profiler.devices.cpu_microbench", "--threads", str(threads))
    if fma_isa:
        cmd += ["--fma", fma_isa]
    out = run_json_child(cmd, "microbenchmark", timeout_s)
    if isinstance(out, str):
        return out
    try:
        return Microbench(**out)
    except TypeError as exc:
        return f"the microbenchmark printed something unexpected ({exc})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="measure the core clock (and FMA rate) with JIT-ed loops")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--fma", choices=sorted(LANES), default=None)
    args = parser.parse_args(argv)
    die_with_parent()
    reason = jit_unavailable()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    try:
        result = measure(max(1, args.threads), args.fma)
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
