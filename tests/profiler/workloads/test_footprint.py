"""Training memory counted on meta (weights, gradients, optimizer state, activations) and the
memory this process may use (RAM, cgroup v1/v2, rlimits), read from fake files."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from profiler.workloads import memory_limits
from profiler.workloads.footprint import (
    MAX_BATCH,
    Footprint,
    measure_footprint,
    parameter_footprint,
    saved_activation_bytes,
    usable_memory_bytes,
)

GIB = 2**30


def _mlp() -> nn.Module:
    with torch.device("meta"):
        return nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 10))


def _batch(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(n, 784, device="meta"), torch.randint(0, 10, (n,), device="meta")


def test_mlp_footprint_is_analytic() -> None:
    model = _mlp()
    params = 784 * 1024 + 1024 + 1024 * 10 + 10
    fp = measure_footprint(model, F.cross_entropy, _batch)
    assert fp.parameters == params
    assert (fp.weights_bytes, fp.grads_bytes, fp.optimizer_state_bytes) == (4 * params, 4 * params, 8 * params)
    # saved for backward per sample: the input (784), ReLU's output (1024, also linear 2's input),
    # log_softmax's output (10), all fp32, and the int64 target
    assert fp.activations_bytes_per_sample == 4 * (784 + 1024 + 10) + 8
    assert fp.activations_measured and fp.optimizer == "AdamW"
    assert all(p.device.type == "meta" and p.grad is None for p in model.parameters())


def test_adamw_state_stays_fp32_under_bf16_autocast_and_other_optimizers_count_their_own() -> None:
    model = _mlp()
    params = sum(p.numel() for p in model.parameters())
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert parameter_footprint(model).optimizer_state_bytes == 2 * 4 * params
    sgd = parameter_footprint(model, lambda ps: torch.optim.SGD(ps, lr=0.1))
    assert (sgd.optimizer_state_bytes, sgd.optimizer) == (0, "SGD")
    momentum = parameter_footprint(model, lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9))
    assert momentum.optimizer_state_bytes == 4 * params
    # Adafactor reads values in its step: the table by class name answers instead
    assert parameter_footprint(model, lambda ps: torch.optim.Adafactor(ps)).optimizer_state_bytes == 4 * params


def test_frozen_parameters_have_no_gradient_or_state() -> None:
    model = _mlp()
    model[0].requires_grad_(False)
    fp = parameter_footprint(model)
    trainable = 1024 * 10 + 10
    assert fp.grads_bytes == 4 * trainable and fp.optimizer_state_bytes == 8 * trainable
    assert fp.weights_bytes == 4 * fp.parameters


def test_shared_storage_is_counted_once() -> None:
    """A tensor saved by two ops (ReLU's output is also the next Linear's input) counts once."""
    with torch.device("meta"):
        model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4))
    x, y = torch.randn(5, 8, device="meta"), torch.randint(0, 4, (5,), device="meta")
    assert saved_activation_bytes(model, F.cross_entropy, (x, y)) == 5 * (4 * (8 + 16 + 16 + 4) + 8) + 4


def test_training_bytes_and_max_batch() -> None:
    fp = Footprint(parameters=10, weights_bytes=40, grads_bytes=40, optimizer_state_bytes=80,
                   activations_bytes_per_sample=100.0)
    assert fp.training_bytes(3) == 460
    assert fp.max_batch(460) == 3 and fp.max_batch(559) == 3 and fp.max_batch(560) == 4
    assert fp.max_batch(260) == 1 and fp.max_batch(259) is None and fp.max_batch(100) is None
    assert fp.largest_parameters(1700) == 100
    unmeasured = Footprint(10, 40, 40, 80, 0.0, activations_measured=False)
    assert unmeasured.max_batch(160) == MAX_BATCH and unmeasured.max_batch(159) is None


def test_a_model_that_cannot_run_on_meta_keeps_its_fixed_part() -> None:
    class CopiesOut(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(x.cpu().to(x.device))  # copies its data out: meta has none

    with torch.device("meta"):
        model = CopiesOut()
    fp = measure_footprint(model, F.cross_entropy, lambda n: (torch.randn(n, 4, device="meta"),
                                                              torch.randint(0, 2, (n,), device="meta")))
    assert not fp.activations_measured and fp.activations_bytes_per_sample == 0.0
    assert fp.optimizer_state_bytes == 8 * 10


# ---- usable memory ----------------------------------------------------------------------------


def _fake_root(tmp_path: Path, cgroup: str, files: dict[str, str], ram_kib: int = 24 * 2**20) -> str:
    (tmp_path / "proc/self").mkdir(parents=True)
    (tmp_path / "proc/meminfo").write_text(f"MemTotal:       {ram_kib} kB\nMemFree:  1 kB\n")
    (tmp_path / "proc/self/cgroup").write_text(cgroup)
    (tmp_path / "proc/self/status").write_text("Name: python\nVmSize:  2097152 kB\nVmData:  1048576 kB\n")
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(tmp_path)


@pytest.fixture
def no_rlimits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resource, "getrlimit", lambda _which: (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def test_ram_when_nothing_else_limits(tmp_path: Path, no_rlimits: None) -> None:
    root = _fake_root(tmp_path, "0::/user.slice/me\n", {"sys/fs/cgroup/user.slice/me/memory.max": "max\n"})
    assert usable_memory_bytes(root=root) == (24 * GIB, "the machine's RAM")


def test_cgroup_v2_limit_less_its_usage(tmp_path: Path, no_rlimits: None) -> None:
    root = _fake_root(tmp_path, "0::/job/step\n", {
        "sys/fs/cgroup/job/step/memory.max": "max\n",
        "sys/fs/cgroup/job/memory.max": f"{8 * GIB}\n",  # the parent's limit binds the child
        "sys/fs/cgroup/job/memory.current": f"{2 * GIB}\n",
    })
    usable, what = usable_memory_bytes(root=root)
    assert usable == 6 * GIB and "cgroup v2 memory.max" in what and "8.0 GiB" in what


def test_cgroup_v2_seen_from_inside_a_container(tmp_path: Path, no_rlimits: None) -> None:
    root = _fake_root(tmp_path, "0::/\n", {"sys/fs/cgroup/memory.max": f"{4 * GIB}\n",
                                           "sys/fs/cgroup/memory.current": "0\n"})
    assert usable_memory_bytes(root=root)[0] == 4 * GIB


def test_cgroup_v1_limit_and_unlimited_root(tmp_path: Path, no_rlimits: None) -> None:
    root = _fake_root(tmp_path, "4:memory:/process_api/abc\n3:cpu:/\n", {
        "sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
        "sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes": f"{3 * GIB}\n",
        "sys/fs/cgroup/memory/process_api/abc/memory.usage_in_bytes": f"{GIB}\n",
    })
    usable, what = usable_memory_bytes(root=root)
    assert usable == 2 * GIB and "cgroup v1" in what


def test_rlimit_as_less_what_is_mapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    limits = {resource.RLIMIT_AS: (8 * GIB, resource.RLIM_INFINITY)}
    monkeypatch.setattr(resource, "getrlimit", lambda which: limits.get(which, (-1, -1)))
    root = _fake_root(tmp_path, "0::/\n", {})
    usable, what = usable_memory_bytes(root=root)
    assert usable == 6 * GIB  # 8 GiB less the 2 GiB VmSize of the fake status
    assert "RLIMIT_AS" in what


def test_rlimit_data_and_the_smallest_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    limits = {resource.RLIMIT_AS: (16 * GIB, -1), resource.RLIMIT_DATA: (3 * GIB, -1)}
    monkeypatch.setattr(resource, "getrlimit", lambda which: limits.get(which, (-1, -1)))
    root = _fake_root(tmp_path, "0::/\n", {"sys/fs/cgroup/memory.max": f"{12 * GIB}\n"})
    usable, what = usable_memory_bytes(root=root)
    assert usable == 2 * GIB and "RLIMIT_DATA" in what
    assert len(memory_limits.host_limits(root)) == 4


def test_this_process_real_limits_are_positive() -> None:
    usable, what = usable_memory_bytes()
    assert 0 < usable <= memory_limits._ram_bytes("/") and what


def test_builtin_workload_footprint_on_meta() -> None:
    from profiler.workloads import WORKLOADS
    from profiler.workloads.footprint import workload_footprint

    fp = workload_footprint(WORKLOADS["mlp"], "S")
    assert fp.parameters == WORKLOADS["mlp"].build("meta", "S").params
    assert fp.optimizer_state_bytes == 8 * fp.parameters and fp.activations_bytes_per_sample > 0


def test_hf_model_activations_are_measured_on_meta_despite_value_reads() -> None:
    pytest.importorskip("transformers")
    from profiler.workloads.footprint import workload_footprint
    from profiler.workloads.user import UserWorkload

    knobs = {"n_layer": 2, "n_embd": 32, "n_head": 2, "vocab_size": 100, "seq_len": 16}
    one_layer = workload_footprint(UserWorkload("hf:gpt2"), knobs={**knobs, "n_layer": 1})
    two_layers = workload_footprint(UserWorkload("hf:gpt2"), knobs=knobs)
    assert two_layers.activations_measured and two_layers.activations_bytes_per_sample > 0
    per_layer = two_layers.activations_bytes_per_sample - one_layer.activations_bytes_per_sample
    # a GPT-2 block saves at least its LayerNorm inputs, q/k/v, the attention probabilities and
    # the 4x MLP activations per token: well over 10 fp32 vectors of n_embd
    assert per_layer > 16 * 10 * 32 * 4
