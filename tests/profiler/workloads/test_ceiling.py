"""The best GEMM measured here: the measurement, its load check, and its cache's invalidation."""

from __future__ import annotations

import json
import time

import pytest
import torch

from profiler.workloads import ceiling, ceiling_cache
from profiler.workloads.ceiling import CeilingMeasurement, measure_ceiling
from profiler.workloads.ceiling_cache import ceiling_for, entry_key, stale_reason

HW = "AMD|26|68|AMD Ryzen 9 9950X|avx2,avx512f"


def measurement(value: float = 5e11, busy: bool = False, notes: list[str] | None = None,
                threads: int | None = 2, measured_at: float | None = None) -> CeilingMeasurement:
    return CeilingMeasurement(device="cpu", precision="fp32", dtype="float32", threads=threads,
                              torch=torch.__version__, flops_per_s=value, backend="oneDNN 1x1 conv", n=2048,
                              spread=0.01, by_backend={"oneDNN 1x1 conv": {"2048": value}}, busy=busy,
                              notes=notes or [], measured_at=measured_at or time.time(), seconds=3.0)


@pytest.fixture
def measured(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, int | None]]:
    """Replace the child process with a recorded fake measurement."""
    calls: list[tuple[str, str, int | None]] = []

    def fake(device: str, precision: str, threads: int | None, seconds: float = 3.0, force: bool = False,
             timeout_s: float = 180.0) -> CeilingMeasurement | str:
        calls.append((device, precision, threads))
        return measurement(threads=threads)

    monkeypatch.setattr(ceiling_cache, "measure_out_of_process", fake)
    return calls


def test_measured_once_then_cached_per_threads_and_remeasured_on_demand(measured: list) -> None:
    first = ceiling_for("cpu", "fp32", 2, HW)
    assert first.flops_per_s == 5e11 and not first.from_cache
    assert first.source.startswith("best GEMM measured here: oneDNN 1x1 conv n=2048")
    again = ceiling_for("cpu", "fp32", 2, HW)
    assert again.from_cache and again.flops_per_s == 5e11 and "(cached)" in again.source
    assert len(measured) == 1
    ceiling_for("cpu", "fp32", 1, HW)  # another thread count is another entry
    assert measured[-1] == ("cpu", "fp32", 1)
    ceiling_for("cpu", "fp32", 2, HW, remeasure=True)
    assert len(measured) == 3
    stored = json.loads(ceiling_cache.cache_path().read_text())["entries"]
    assert set(stored) == {entry_key("cpu", "fp32", 2), entry_key("cpu", "fp32", 1)}


def test_the_cache_lives_in_horsepower_cache_dir(measured: list, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HORSEPOWER_CACHE_DIR", str(tmp_path / "elsewhere"))
    ceiling_for("cpu", "fp32", 2, HW)
    assert (tmp_path / "elsewhere" / ceiling_cache.CACHE_FILE).is_file()


def test_stale_when_torch_hardware_or_age_change() -> None:
    now = time.time()
    entry = {**measurement().to_dict(), "hardware_id": HW}
    assert stale_reason(entry, HW, torch.__version__, now) == ""
    assert "torch changed" in stale_reason(entry, HW, "9.9.9", now)
    assert "hardware changed" in stale_reason(entry, "Intel|6|143|Xeon|amx_bf16", torch.__version__, now)
    old = {**entry, "measured_at": now - 8 * ceiling_cache.DAY_S}
    assert "8.0 days ago" in stale_reason(old, HW, torch.__version__, now)
    busy = {**entry, "busy": True, "measured_at": now - 2 * ceiling_cache.DAY_S}
    assert "busy machine" in stale_reason(busy, HW, torch.__version__, now)


def test_a_stale_entry_is_measured_again(measured: list) -> None:
    ceiling_for("cpu", "fp32", 2, HW)
    path = ceiling_cache.cache_path()
    data = json.loads(path.read_text())
    data["entries"][entry_key("cpu", "fp32", 2)]["torch"] = "2.0.0"
    path.write_text(json.dumps(data))
    ceiling_for("cpu", "fp32", 2, HW)
    assert len(measured) == 2
    ceiling_for("cpu", "fp32", 2, "another CPU")
    assert len(measured) == 3


def test_cached_policy_never_measures_and_flags_a_stale_entry(measured: list) -> None:
    missing = ceiling_for("cpu", "fp32", 2, HW, policy="cached")
    assert missing.flops_per_s is None and "never measured" in missing.source and not measured
    ceiling_for("cpu", "fp32", 2, HW)  # auto: measures
    path = ceiling_cache.cache_path()
    data = json.loads(path.read_text())
    data["entries"][entry_key("cpu", "fp32", 2)]["measured_at"] = time.time() - 30 * ceiling_cache.DAY_S
    path.write_text(json.dumps(data))
    stale = ceiling_for("cpu", "fp32", 2, HW, policy="cached")
    assert stale.flops_per_s == 5e11 and any("stale" in n and "--remeasure" in n for n in stale.notes)
    assert len(measured) == 1
    off = ceiling_for("cpu", "fp32", 2, HW, policy="off")
    assert off.flops_per_s is None and "off" in off.source
    with pytest.raises(ValueError, match="auto, cached, off"):
        ceiling_for("cpu", "fp32", 2, HW, policy="sometimes")


def test_a_refused_measurement_keeps_the_old_entry_flagged(monkeypatch: pytest.MonkeyPatch, measured: list) -> None:
    ceiling_for("cpu", "fp32", 2, HW)
    refused = CeilingMeasurement(device="cpu", precision="fp32", dtype="float32", threads=2, torch=torch.__version__,
                                 flops_per_s=None, busy=True, refused="other processes used 80% of the CPU")
    monkeypatch.setattr(ceiling_cache, "measure_out_of_process", lambda *a, **k: refused)
    again = ceiling_for("cpu", "fp32", 2, HW, remeasure=True)
    assert again.flops_per_s == 5e11 and any("could not be re-measured" in n and "80%" in n for n in again.notes)
    none = ceiling_for("cpu", "bf16", 2, HW)
    assert none.flops_per_s is None and "80%" in none.source and none.notes


def test_measurement_notes_travel_with_the_cached_value(monkeypatch: pytest.MonkeyPatch) -> None:
    note = "bfloat16 runs at 2% of float32 here: no fast bfloat16 kernel"
    monkeypatch.setattr(ceiling_cache, "measure_out_of_process", lambda *a, **k: measurement(2e9, notes=[note]))
    assert note in ceiling_for("cpu", "bf16", 2, HW).notes
    assert note in ceiling_for("cpu", "bf16", 2, HW).notes  # from the cache too


def test_busy_machine_is_refused_before_and_flagged_during(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ceiling, "others_before", lambda seconds=0.5: 80.0)
    refused = measure_ceiling("cpu", "fp32", seconds=0.2, sizes=(64,))
    assert refused.flops_per_s is None and refused.busy and "80%" in (refused.refused or "")
    forced = measure_ceiling("cpu", "fp32", seconds=0.2, sizes=(64,), force=True)
    assert forced.flops_per_s is not None and forced.busy
    monkeypatch.setattr(ceiling, "others_before", lambda seconds=0.5: 2.0)
    monkeypatch.setattr(ceiling._Load, "stop", lambda self: 35.0)
    during = measure_ceiling("cpu", "fp32", seconds=0.2, sizes=(64,))
    assert during.busy and during.others_during_percent == 35.0
    assert any("35% of the CPU while the ceiling was measured" in n for n in during.notes)
    monkeypatch.setattr(ceiling._Load, "stop", lambda self: 5.0)
    quiet = measure_ceiling("cpu", "fp32", seconds=0.2, sizes=(64,))
    assert not quiet.busy and not quiet.notes


def test_the_best_of_every_cpu_backend_and_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ceiling, "others_before", lambda seconds=0.5: 0.0)
    result = measure_ceiling("cpu", "fp32", seconds=0.6, sizes=(64, 128))
    assert result.flops_per_s is not None and result.flops_per_s > 1e8
    assert set(result.by_backend) == set(ceiling.backends_for(torch.device("cpu")))
    best = max(r for found in result.by_backend.values() for r in found.values())
    assert result.flops_per_s == best and result.backend in result.by_backend
    assert result.threads == torch.get_num_threads() and result.torch == torch.__version__
    json.dumps(result.to_dict(), allow_nan=False)


def test_a_slow_bf16_is_noted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ceiling, "others_before", lambda seconds=0.5: 0.0)
    real = ceiling._ramp

    def slow_bf16(dev, dtype, backend, sizes, budget_s, notes):  # type: ignore[no-untyped-def]
        found = real(dev, dtype, backend, sizes, budget_s, notes)
        factor = 0.02 if dtype == torch.bfloat16 else 1.0
        return {n: (r * factor, s) for n, (r, s) in found.items()}

    monkeypatch.setattr(ceiling, "_ramp", slow_bf16)
    result = measure_ceiling("cpu", "bf16", seconds=0.4, sizes=(64,))
    assert any("runs at" in n and "% of float32 here: no fast bfloat16 kernel" in n for n in result.notes)


def test_out_of_process_measurement_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real child process, with a tiny budget (forced: this machine may be busy)."""
    result = ceiling_cache.measure_out_of_process("cpu", "fp32", 1, seconds=0.3, force=True, timeout_s=120)
    assert isinstance(result, CeilingMeasurement), result
    assert result.flops_per_s is not None and result.threads == 1


@pytest.mark.parametrize("bad", ["fast", float("nan"), [1, 2], 1e-300, -8.0e9, None, True])
def test_a_bad_cached_ceiling_is_set_aside_and_measured_again(measured: list, tmp_path, monkeypatch,
                                                              bad: object) -> None:
    monkeypatch.setenv("HORSEPOWER_CACHE_DIR", str(tmp_path))
    ceiling_for("cpu", "fp32", 2, HW)
    path = tmp_path / ceiling_cache.CACHE_FILE
    data = json.loads(path.read_text())
    data["entries"][entry_key("cpu", "fp32", 2)]["flops_per_s"] = bad
    path.write_text(json.dumps(data))  # NaN is written as the NaN literal, as a hand edit might
    ceiling = ceiling_for("cpu", "fp32", 2, HW)
    assert ceiling.flops_per_s == 5e11 and len(measured) == 2  # measured again, the run goes on
    assert any("was invalid" in n and "set aside" in n for n in ceiling.notes)
    assert len(list(tmp_path.glob(f"{ceiling_cache.CACHE_FILE}.bad-*"))) == 1  # kept, not deleted


@pytest.mark.parametrize("text", ["not json", "[" * 5000, '{"entries": [1]}', '"a string"'])
def test_a_bad_cache_file_is_set_aside_not_fatal(measured: list, tmp_path, monkeypatch, text: str) -> None:
    monkeypatch.setenv("HORSEPOWER_CACHE_DIR", str(tmp_path))
    (tmp_path / ceiling_cache.CACHE_FILE).write_text(text)
    ceiling = ceiling_for("cpu", "fp32", 2, HW)
    assert ceiling.flops_per_s == 5e11
    assert any("set aside" in n for n in ceiling.notes)
    assert [p.read_text() for p in tmp_path.glob(f"{ceiling_cache.CACHE_FILE}.bad-*")] == [text]
