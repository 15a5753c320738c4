"""A user's model measured like a built-in: in the supervised worker, crashes and hangs included."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import psutil
import pytest

from profiler.devices.discovery import describe_device
from profiler.events import EventBus, RunDescribed, RunFinished
from profiler.results.model_ref import model_spec_fields
from profiler.results.result import RunState
from profiler.results.spec import RunSpec
from profiler.runner import run_training
from profiler.runner.model_check import forget_checks
from profiler.worker.supervisor import supervise
from tests.helpers import collect, no_worker_left
from tests.models import tiny_mlp
from tests.paths import EXAMPLES, REPO_ROOT, TEST_MODELS

MODELS = TEST_MODELS
HAS_TRANSFORMERS = importlib.util.find_spec("transformers") is not None


def spec(ref: str, **fields: object) -> RunSpec:
    base = {"duration_s": 0.5, "threads": 1, "warmup_max_steps": 10, "warmup_max_s": 1.0, **fields}
    return RunSpec(**model_spec_fields(ref), **base)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _fresh_checks() -> object:
    forget_checks()
    yield
    forget_checks()


def worker_oom_scores() -> list[int]:
    """oom_score_adj of this process's worker children (Linux)."""
    scores = []
    for child in psutil.Process().children():
        try:
            if "horsepower-worker" in child.name() or "spawn_main" in " ".join(child.cmdline()):
                scores.append(int(Path(f"/proc/{child.pid}/oom_score_adj").read_text()))
        except (psutil.NoSuchProcess, OSError, ValueError):
            pass
    return scores


@pytest.mark.slow
def test_a_file_model_runs_in_the_worker_with_counted_flops() -> None:
    bus, events = collect()
    scores: list[int] = []
    bus.subscribe(lambda e: scores.extend(worker_oom_scores()) if isinstance(e, RunDescribed) else None)
    run_spec = spec(f"{MODELS / 'tiny_mlp.py'}:build", knobs={"width": 24}, batch_size=16)
    result = supervise(run_spec, bus, threading.Event())
    if Path("/proc/self/oom_score_adj").exists():
        assert 1000 in scores, "a leaking model takes its worker down first, never the window"
    assert result.status == RunState.COMPLETED, result.error
    assert result.flops_per_step == tiny_mlp.analytic_train_flops(16, 24, 1)
    assert result.params == 24 * 32 + 24 + 24 * 4 + 4 and result.samples_per_s
    assert result.warmup_steps >= 1 and result.step_times_s and result.mfu is not None
    assert result.sample_unit == "rows" and result.telemetry["host.cpu_util_percent"]["mean"] is not None
    data = result.to_dict()
    assert data["workload"] == "user" and data["name"] == "tiny_mlp.py:build width=24 bs16 fp32 1 thread on cpu"
    assert data["spec"]["model"] == f"{MODELS / 'tiny_mlp.py'}:build" and len(data["spec"]["model_hash"]) == 64
    described = next(e for e in events if isinstance(e, RunDescribed))
    assert described.description.model == "tiny_mlp.py:build" and described.description.sample_unit == "rows"
    assert no_worker_left()


@pytest.mark.slow
def test_a_dict_batch_model_reports_tokens() -> None:
    result = supervise(spec("tests.models.dict_batch:build"), EventBus(), threading.Event())
    assert result.status == RunState.COMPLETED, result.error
    assert result.tokens_per_sample == 6
    assert result.tokens_per_s == pytest.approx(result.samples_per_s * 6)
    assert result.flops_per_step == 3 * 2 * 4 * 6 * 16 * 50


@pytest.mark.slow
def test_a_native_crash_in_forward_fails_the_run_and_keeps_the_parent() -> None:
    bus, events = collect()
    result = supervise(spec(f"{MODELS / 'crashes.py'}:build"), bus, threading.Event())
    assert result.status == RunState.FAILED
    assert "worker process died (SIGABRT)" in (result.error or "")
    assert "crashed natively while running crashes.py:build" in (result.advice or "")
    assert "crashes.py" in (result.error_details or "") and "in forward" in (result.error_details or "")
    assert result.params > 0, "what the worker described before dying is kept"
    assert next(e for e in events if isinstance(e, RunFinished)).result.status == "failed"
    assert no_worker_left()


@pytest.mark.slow
def test_an_exception_in_forward_keeps_the_users_traceback() -> None:
    result = supervise(spec(f"{MODELS / 'crashes.py'}:raises_later"), EventBus(), threading.Event())
    assert result.status == RunState.FAILED
    assert result.error == "ValueError: my model broke at call 5"
    assert "crashes.py" in (result.error_details or "") and "raise ValueError" in (result.error_details or "")
    assert "traceback is in the result's error_details" in (result.advice or "")


def test_a_constructor_that_hangs_in_the_worker_is_stopped() -> None:
    """The check would catch it first; skip validation to reach the worker's own deadline."""
    hanging = spec(f"{MODELS / 'broken.py'}:hangs", build_timeout_s=2.0)
    result = supervise(hanging, EventBus(), threading.Event(), device_info=describe_device("cpu"))
    assert result.status == RunState.FAILED
    assert "broken.py:hangs was not built within 2 s" in (result.error or "")
    assert "in hangs" in (result.error_details or "")
    assert no_worker_left()


def test_out_of_memory_searches_the_largest_batch_of_a_user_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HORSEPOWER_FAULT", "oom")  # fires on the third timed step
    result = run_training(spec("tests.models.tiny_mlp:build", batch_size=8), device_info=describe_device("cpu"))
    assert result.status == RunState.OOM
    assert "the largest batch that fit was 4" in (result.advice or "")


def test_bf16_and_channels_last_apply_to_a_user_model() -> None:
    plain = spec(f"{EXAMPLES / 'plain_model.py'}:build", batch_size=4, precision="bf16", channels_last=True,
                 knobs={"channels": 4, "hidden": 8})
    result = run_training(plain, device_info=describe_device("cpu"))
    assert result.status == RunState.COMPLETED, result.error
    assert not any("channels_last ignored" in n for n in result.notices)
    mlp = run_training(spec("tests.models.tiny_mlp:build", channels_last=True), device_info=describe_device("cpu"))
    assert any("tiny_mlp:build has no 2-D convolutions: channels_last ignored" in n for n in mlp.notices)


@pytest.mark.slow
@pytest.mark.skipif(not HAS_TRANSFORMERS, reason="needs transformers (the test extras)")
def test_an_hf_model_runs_with_flops_counted_on_its_device() -> None:
    knobs = {"n_layer": 1, "n_embd": 32, "n_head": 2, "vocab_size": 100, "seq_len": 16}
    result = supervise(spec("hf:gpt2", knobs=knobs, batch_size=2), EventBus(), threading.Event())
    assert result.status == RunState.COMPLETED, result.error
    tokens = 2 * 16
    expected = 3 * (2 * tokens * 32 * 32 * 12 + 2 * 2 * 2 * 16 * 16 * 32 + 2 * tokens * 32 * 100)
    assert result.flops_per_step == expected
    assert any(n.startswith("FLOPs counted on cpu (the model does not run on the meta device") for n in result.notices)
    assert result.environment["model_library"].startswith("transformers ")
    assert result.to_dict()["name"] == \
        "gpt2 (hf) n_embd=32 n_head=2 n_layer=1 seq_len=16 vocab_size=100 bs2 fp32 1 thread on cpu"
    assert result.tokens_per_sample == 16 and result.losses[-1] < result.losses[0] + 1.0


def test_flops_that_cannot_be_counted_are_na_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    import profiler.workloads.flops as flops

    def refuse(built: object) -> int:
        raise RuntimeError("no counter for this op")

    monkeypatch.setattr(flops, "count_on_device_step", refuse)
    result = run_training(spec("tests.models.reads_values:build"), device_info=describe_device("cpu"))
    assert result.status == RunState.COMPLETED, result.error
    assert result.flops_per_step is None and result.mfu is None and result.achieved_flops_per_s is None
    [warning] = [w for w in result.warnings if w.startswith("FLOPs n/a")]
    assert warning.startswith("FLOPs n/a: could not count (RuntimeError: no counter for this op; on meta: "
                              "RuntimeError: Tensor.item() cannot be called on meta tensors)")


@pytest.mark.slow
def test_a_file_model_feeds_two_dataloader_workers_in_the_supervised_worker() -> None:
    """A Dataset class defined in the user's file unpickles in 2 DataLoader workers (the issue:
    "No module named 'horsepower_model_...'" in the loader's processes)."""
    bus, _events = collect()
    run_spec = spec(f"{MODELS / 'slow_loader.py'}:build", input_pipeline=True, loader_workers=2)
    result = supervise(run_spec, bus, threading.Event())
    assert result.status == RunState.COMPLETED, result.error
    assert result.samples_per_s and result.spec.loader_workers == 2
    assert no_worker_left()


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_a_file_model_module_imports_in_loader_workers_of_any_start_method(method: str) -> None:
    """In a child process of its own, so a forkserver it starts ends with it."""
    import subprocess
    import sys

    code = (
        "import sys, torch\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from profiler.results.model_ref import parse_model_ref\n"
        "from profiler.workloads.loading import load_module\n"
        "if __name__ == '__main__':\n"
        "    module = load_module(parse_model_ref(sys.argv[2]))\n"
        "    loader = torch.utils.data.DataLoader(module.SlowDataset(16, 0.0), batch_size=4, num_workers=2,\n"
        "                                         multiprocessing_context=sys.argv[3])\n"
        "    batches = list(loader)\n"
        "    assert len(batches) == 4 and batches[0][0].shape == (4, module.FEATURES)\n"
        "    print('ok')\n"
    )
    root = str(REPO_ROOT)
    child = subprocess.Popen([sys.executable, "-c", code, root, f"{MODELS / 'slow_loader.py'}:build", method],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0 and out.strip() == "ok", err[-2000:]
