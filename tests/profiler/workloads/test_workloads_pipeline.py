"""Input-pipeline mode: DataLoader batches on the device, workers shut down cleanly."""

from __future__ import annotations

import time

import psutil
import pytest
import torch

from profiler.workloads import WORKLOADS
from profiler.workloads.pipeline import InputPipeline, device_batches, make_loader, shutdown_loader


def _children() -> list[psutil.Process]:
    """Live child processes, except multiprocessing's shared resource tracker (not a worker)."""
    alive = []
    for proc in psutil.Process().children(recursive=True):
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                continue  # exited; its parent (multiprocessing) reaps it lazily
            if "resource_tracker" not in " ".join(proc.cmdline()):
                alive.append(proc)
        except psutil.NoSuchProcess:
            pass
    return alive


def _wait_no_children(timeout_s: float = 10.0) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout_s
    while (left := _children()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


@pytest.fixture(autouse=True)
def _no_leftover_children() -> object:
    assert _wait_no_children() == []
    yield


def _built(name: str, **kw: object):  # type: ignore[no-untyped-def]
    tiny = {
        "mlp": {"knobs": {"width": 16, "depth": 1}, "batch_size": 8},
        "cnn": {"knobs": {"width": 4}, "batch_size": 4},
        "gpt": {"knobs": {"vocab": 32, "d_model": 16, "n_layers": 1, "n_heads": 2, "seq_len": 8}, "batch_size": 4},
        "lstm": {"knobs": {"vocab": 32, "hidden": 16, "layers": 1, "seq_len": 8}, "batch_size": 4},
    }[name]
    return WORKLOADS[name].build("cpu", "S", **tiny, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_in_process_loader_yields_device_batches(name: str) -> None:
    built = _built(name)
    loader = make_loader(built, n_samples=20, loader_workers=0, pin_memory=True)
    assert loader.pin_memory is False  # a CPU model gains nothing from pinned memory
    pool_x, pool_y = built.make_batch()
    batches = device_batches(loader, "cpu")
    # 20 samples, drop_last: 2 or 5 batches an epoch; take more to prove it cycles.
    for _ in range(12):
        x, y = next(batches)
        assert x.shape == pool_x.shape and y.shape == pool_y.shape
        assert x.dtype == pool_x.dtype and y.dtype == pool_y.dtype
        assert x.device.type == "cpu"
    batches.close()


def test_worker_processes_are_shut_down() -> None:
    built = _built("mlp")
    loader = make_loader(built, n_samples=64, loader_workers=2, pin_memory=False)
    batches = device_batches(loader, "cpu")
    for _ in range(20):  # 8 batches an epoch: crosses epochs with persistent workers
        x, _ = next(batches)
        assert x.shape == (8, 784)
    assert len(_children()) >= 2
    batches.close()
    shutdown_loader(loader)
    assert _wait_no_children() == []


def test_input_pipeline_trains_and_closes() -> None:
    built = _built("cnn", channels_last=True)
    with InputPipeline(built, n_samples=32, loader_workers=1, pin_memory=True) as pipe:
        opt = torch.optim.SGD(built.model.parameters(), lr=0.01)
        for _ in range(3):
            x, y = pipe.make_batch()
            assert x.is_contiguous(memory_format=torch.channels_last)
            loss = built.loss_fn(built.model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        assert len(_children()) >= 1
    assert _wait_no_children() == []
    with pytest.raises(RuntimeError, match="closed"):
        pipe.make_batch()
    pipe.close()  # idempotent


def test_loader_validates_sizes() -> None:
    built = _built("mlp")
    with pytest.raises(ValueError, match="at least one batch"):
        make_loader(built, n_samples=3, loader_workers=0, pin_memory=False)
    with pytest.raises(ValueError, match="workers"):
        make_loader(built, n_samples=16, loader_workers=-1, pin_memory=False)


def test_loader_shuffles_and_drops_last() -> None:
    built = _built("lstm")
    loader = make_loader(built, n_samples=10, loader_workers=0, pin_memory=False)
    assert len(loader) == 2  # 10 samples, batch 4, last partial batch dropped
    firsts = {tuple(next(iter(loader))[0][:, 0].tolist()) for _ in range(5)}
    assert len(firsts) > 1


def test_a_loader_delay_slows_each_sample_and_is_part_of_the_runs_identity():
    import time

    from profiler.metrics.comparison import SETTINGS, speedup
    from profiler.metrics.naming import auto_name
    from profiler.workloads.pipeline import DelayedDataset
    from tests.helpers import fabricated

    slow = DelayedDataset(list(range(4)), 0.01)
    start = time.perf_counter()
    assert [slow[i] for i in range(4)] == [0, 1, 2, 3] and len(slow) == 4
    assert time.perf_counter() - start >= 0.04
    assert "+5 ms/sample" in auto_name({"workload": "mlp", "input_pipeline": True, "loader_delay_ms": 5.0})
    delayed = fabricated("d", "cpu", step_s=0.02, input_pipeline=True, loader_delay_ms=5.0).to_dict()
    plain = fabricated("p", "cpu", step_s=0.01, input_pipeline=True).to_dict()
    found = speedup(delayed, plain)
    assert found.kind == SETTINGS and found.sentence == "loader delay 5 ms/sample: 2.00x slower than 0 ms"


def test_a_loader_delay_needs_the_input_pipeline_and_a_sane_value():
    import pytest

    from profiler.results.spec import RunSpec, SpecError
    from profiler.runner import validate_spec

    with pytest.raises(SpecError, match="needs the input pipeline"):
        validate_spec(RunSpec(workload="mlp", loader_delay_ms=5.0))
    with pytest.raises(SpecError, match="0 to 1000 ms"):
        validate_spec(RunSpec(workload="mlp", input_pipeline=True, loader_delay_ms=float("nan")))
