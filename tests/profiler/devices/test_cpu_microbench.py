"""The JIT-ed clock and FMA loops, on the real CPU where it is x86-64 (skipped elsewhere)."""

from __future__ import annotations

import platform
import shutil
import subprocess

import pytest

from profiler.devices import cpu_microbench as mb
from profiler.devices.cpu_identity import read_cpu_identity

X86 = platform.machine().lower() in ("x86_64", "amd64") and not mb.jit_unavailable()
needs_x86 = pytest.mark.skipif(not X86, reason="needs x86-64 with an executable mmap")


def _disassemble(code: bytes, tmp_path: object) -> str:
    path = f"{tmp_path}/code.bin"
    with open(path, "wb") as fh:
        fh.write(code)
    out = subprocess.run(["objdump", "-D", "-b", "binary", "-m", "i386:x86-64", "-M", "intel", path],
                         capture_output=True, text=True, check=True)
    return out.stdout


@pytest.mark.skipif(shutil.which("objdump") is None, reason="needs binutils' objdump")
def test_the_machine_code_is_what_the_docstring_says(tmp_path: object) -> None:
    chain = _disassemble(mb.add_chain_code(), tmp_path)
    assert chain.count("add    rax,rdx") == mb.ADDS_PER_ITER and "jne" in chain and "ret" in chain
    fma512 = _disassemble(mb.fma_code("avx512"), tmp_path)
    assert fma512.count("vfmadd231ps zmm") == mb.FMAS_PER_ITER and "vzeroupper" in fma512
    fma256 = _disassemble(mb.fma_code("avx2"), tmp_path)
    assert fma256.count("vfmadd231ps ymm") == mb.FMAS_PER_ITER


@needs_x86
def test_clock_and_fma_rate_are_plausible() -> None:
    cpu = read_cpu_identity()
    isa = "avx512" if cpu.has("avx512f") else ("avx2" if cpu.has("avx2") and cpu.has("fma") else None)
    result = mb.measure(1, isa)  # best-of-many short calls: robust to a busy machine
    assert 0.3 < result.single_clock_ghz < 7.0, result  # any real x86 core
    assert 0.05 < result.clock_ghz < 7.0, result  # may read low when other processes run
    if isa:  # between one half-width FMA unit and two full-width ones (+ noise)
        assert result.fma_flop_per_cycle is not None, result
        assert 0.5 * mb.LANES[isa] < result.fma_flop_per_cycle < 1.5 * 4 * mb.LANES[isa], result


@needs_x86
def test_runs_in_a_child_process() -> None:
    result = mb.run_in_subprocess(1, None, timeout_s=60)
    assert isinstance(result, mb.Microbench), result
    assert result.fma_flop_per_cycle is None and result.clock_ghz > 0


def test_not_x86_is_a_stated_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mb.platform, "machine", lambda: "arm64")
    reason = mb.jit_unavailable()
    assert "x86-64" in reason and "arm64" in reason
    assert mb.run_in_subprocess(2, None) == reason
    monkeypatch.setattr(mb.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(mb.sys, "platform", "win32")
    assert "Windows" in mb.jit_unavailable()
