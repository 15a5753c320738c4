"""Matmul and bandwidth probes on the CPU: positive finite numbers, cached per precision."""

from __future__ import annotations

import math

import pytest
import torch

from profiler.workloads import probes
from profiler.workloads.probes import ProbeResult, matmul_peak, memory_bandwidth, peak_for
from profiler.workloads.sync import is_accelerator, synchronize


@pytest.fixture(autouse=True)
def _fresh_cache() -> object:
    probes.clear_cache()
    yield
    probes.clear_cache()


def test_matmul_peak_cpu_fp32() -> None:
    result = matmul_peak("cpu", torch.float32, seconds=0.2, n=256)
    assert isinstance(result, ProbeResult)
    assert result.what == "matmul" and result.dtype == "float32" and result.device == "cpu"
    assert result.flops_per_s is not None and math.isfinite(result.flops_per_s) and result.flops_per_s > 1e8
    assert result.bytes_per_s is None
    assert result.n == 256 and result.repeats == probes.REPEATS
    assert result.spread is not None and 0 <= result.spread < 1
    assert result.threads == torch.get_num_threads()
    assert result.seconds > 0 and result.reason == ""
    with pytest.raises(AttributeError):
        result.value = 1.0  # type: ignore[misc]


def test_default_sizes_by_device() -> None:
    assert probes.default_matmul_n("cpu") == 2048
    assert probes.default_matmul_n("cuda:0") == 8192


def test_slow_dtype_shrinks_n_instead_of_running_for_minutes() -> None:
    result = matmul_peak("cpu", torch.bfloat16, seconds=0.2, n=4096)
    assert result.value is not None and result.value > 0
    assert result.n is not None and probes.TRIAL_N <= result.n <= 4096
    if result.n < 4096:
        assert "reduced" in result.reason
    assert result.seconds < 20


def test_unsupported_dtype_gives_none_with_reason() -> None:
    result = matmul_peak("cpu", torch.uint16, seconds=0.1, n=64)  # no CPU matmul kernel
    assert result.value is None and result.flops_per_s is None
    assert "not implemented" in result.reason


def test_memory_bandwidth_cpu() -> None:
    result = memory_bandwidth("cpu", seconds=0.2, n_bytes=32 * 2**20)
    assert result.what == "bandwidth" and result.n == 32 * 2**20
    assert result.bytes_per_s is not None and math.isfinite(result.bytes_per_s) and result.bytes_per_s > 1e8
    assert result.flops_per_s is None
    assert set(result.to_dict()) >= {"device", "what", "dtype", "value", "n", "repeats", "spread", "seconds", "reason"}


def test_peak_for_caches_per_precision(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(probes, "CPU_N", 192)
    first = peak_for("cpu", "fp32", seconds=0.1)
    assert first.precision == "fp32" and first.value is not None and first.value > 0
    assert peak_for("cpu", "fp32") is first
    tf32 = peak_for("cpu", "tf32", seconds=0.1)
    assert tf32 is not first and tf32.dtype == "float32" and "TF32" in tf32.reason
    bf16 = peak_for("cpu", "bf16", seconds=0.1)
    assert bf16.dtype == "bfloat16" and bf16.value is not None and bf16.value > 0


def test_peak_for_cache_follows_cpu_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(probes, "CPU_N", 128)
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = peak_for("cpu", "fp32", seconds=0.05)
        assert one.threads == 1
        torch.set_num_threads(2)
        assert peak_for("cpu", "fp32", seconds=0.05) is not one
    finally:
        torch.set_num_threads(previous)


def test_peak_for_rejects_unknown_precision() -> None:
    with pytest.raises(ValueError, match="fp32, tf32, bf16, fp16"):
        peak_for("cpu", "int8")


def test_tf32_switch_is_restored() -> None:
    before = torch.backends.cuda.matmul.allow_tf32
    with probes.cuda_fp32_matmul(tf32=not before):
        assert torch.backends.cuda.matmul.allow_tf32 is (not before)
    assert torch.backends.cuda.matmul.allow_tf32 is before


def test_sync_helpers() -> None:
    synchronize("cpu")
    synchronize(torch.device("meta"))
    assert not is_accelerator("cpu")
    assert is_accelerator("cuda:0") and is_accelerator("mps")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_matmul_peak() -> None:
    result = peak_for("cuda", "bf16", seconds=0.5)
    assert result.value is not None and result.value > 1e12
    synchronize("cuda")


def test_fit_n_ramps_up_and_flags_a_slow_dtype(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scripted timings: fp32 at 100 GFLOP/s, bf16 at 1 GFLOP/s (an AVX2 CPU's real ratio)."""
    rates = {torch.float32: 100e9, torch.bfloat16: 1e9}
    monkeypatch.setattr(probes, "_call_s", lambda dev, dtype, side, calls: 2 * side**3 / rates[dtype])
    cpu = torch.device("cpu")
    assert probes._fit_n(cpu, torch.float32, 2048, budget_s=0.5) == (2048, "")
    side, note = probes._fit_n(cpu, torch.bfloat16, 2048, budget_s=0.5)
    assert side == 512  # 0.27 s a matmul; 1024 would take 2.1 s
    assert "1% of float32" in note and "n reduced from 2048 to 512" in note
