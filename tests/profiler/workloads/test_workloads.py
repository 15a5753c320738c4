"""Every built-in workload builds, trains (loss falls) and validates its knobs."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from profiler.workloads import WORKLOADS, WorkloadError, get_workload
from profiler.workloads.base import BuiltWorkload

# Small knobs: the same architectures, a few milliseconds a step on one thread.
TINY: dict[str, dict[str, object]] = {
    "mlp": {"knobs": {"width": 64, "depth": 1}, "batch_size": 32},
    "cnn": {"knobs": {"width": 8}, "batch_size": 16},
    "gpt": {"knobs": {"vocab": 64, "d_model": 64, "n_layers": 2, "n_heads": 2, "seq_len": 32}, "batch_size": 8},
    "lstm": {"knobs": {"vocab": 64, "hidden": 64, "layers": 1, "seq_len": 32}, "batch_size": 8},
}


@pytest.fixture(autouse=True)
def _one_thread() -> object:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def train(built: BuiltWorkload, steps: int = 40, lr: float = 3e-3) -> list[float]:
    opt = torch.optim.AdamW(built.model.parameters(), lr=lr)
    built.model.train()
    losses = []
    for _ in range(steps):
        inputs, targets = built.make_batch()
        loss = built.loss_fn(built.model(inputs), targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_registry_order_and_lookup() -> None:
    assert list(WORKLOADS) == ["mlp", "cnn", "gpt", "lstm"]
    assert get_workload("gpt").sample_unit == "sequences"
    with pytest.raises(WorkloadError, match="mlp, cnn, gpt, lstm"):
        get_workload("resnet50")


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_presets_are_complete(name: str) -> None:
    w = WORKLOADS[name]
    assert set(w.presets) == {"S", "M", "L"} == set(w.default_batch)
    for knobs in w.presets.values():
        assert set(knobs) == set(w.knob_help)
        assert all(isinstance(v, int) and v > 0 for v in knobs.values())
    assert w.title and w.description


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_loss_falls(name: str) -> None:
    built = WORKLOADS[name].build("cpu", "S", **TINY[name])  # type: ignore[arg-type]
    losses = train(built)
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert all(torch.isfinite(torch.tensor(losses)))
    assert last < 0.8 * first, f"{name}: loss {first:.3f} -> {last:.3f}"


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_batches_match_the_model(name: str) -> None:
    built = WORKLOADS[name].build("cpu", "S", **TINY[name])  # type: ignore[arg-type]
    inputs, targets = built.make_batch()
    assert inputs.shape[0] == targets.shape[0] == built.batch_size == built.samples_per_step
    out = built.model(inputs)
    assert built.loss_fn(out, targets).ndim == 0
    assert built.params == sum(p.numel() for p in built.model.parameters()) > 0
    sample_x, sample_y = built.host_dataset(4)[0]
    assert sample_x.shape == inputs.shape[1:] and sample_x.dtype == inputs.dtype
    assert sample_y.shape == targets.shape[1:] and sample_y.dtype == targets.dtype


def test_s_presets_build_with_default_batch() -> None:
    expected = {"mlp": 256, "cnn": 64, "gpt": 16, "lstm": 32}
    for name, w in WORKLOADS.items():
        built = w.build("cpu", "S")
        assert built.batch_size == expected[name]
    gpt = WORKLOADS["gpt"].presets["S"]
    assert (gpt["n_layers"], gpt["d_model"], gpt["seq_len"]) == (4, 256, 128)
    lstm = WORKLOADS["lstm"].presets["S"]
    assert (lstm["layers"], lstm["hidden"], lstm["seq_len"]) == (2, 256, 64)


def test_gpt_logits_and_loss_shapes() -> None:
    built = WORKLOADS["gpt"].build("cpu", "S", **TINY["gpt"])  # type: ignore[arg-type]
    tokens, targets = built.make_batch()
    logits = built.model(tokens)
    assert logits.shape == (8, 32, 64)
    assert targets.shape == (8, 32)
    assert 0 <= int(tokens.min()) and int(tokens.max()) < 64
    torch.testing.assert_close(targets[:, :-1], tokens[:, 1:])  # next-token targets


def test_gpt_is_causal() -> None:
    built = WORKLOADS["gpt"].build("cpu", "S", **TINY["gpt"])  # type: ignore[arg-type]
    built.model.eval()
    tokens, _ = built.make_batch()
    changed = tokens.clone()
    changed[:, -1] = (changed[:, -1] + 1) % 64
    with torch.no_grad():
        a, b = built.model(tokens), built.model(changed)
    torch.testing.assert_close(a[:, :-1], b[:, :-1])
    assert not torch.allclose(a[:, -1], b[:, -1])


def test_channels_last_cnn_trains() -> None:
    built = WORKLOADS["cnn"].build("cpu", "S", channels_last=True, **TINY["cnn"])  # type: ignore[arg-type]
    assert built.channels_last
    inputs, _ = built.make_batch()
    assert inputs.is_contiguous(memory_format=torch.channels_last)
    conv = built.model[0]
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    losses = train(built, steps=30)
    assert sum(losses[-5:]) < 0.8 * sum(losses[:5])


def test_channels_last_is_ignored_without_convolutions() -> None:
    built = WORKLOADS["mlp"].build("cpu", "S", channels_last=True, **TINY["mlp"])  # type: ignore[arg-type]
    assert not built.channels_last


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_unknown_knob_names_the_valid_ones(name: str) -> None:
    w = WORKLOADS[name]
    with pytest.raises(WorkloadError) as info:
        w.build("cpu", "S", knobs={"bogus": 3})
    for knob in w.knob_help:
        assert knob in str(info.value)


@pytest.mark.parametrize("value", [0, -4])
@pytest.mark.parametrize("name", list(WORKLOADS))
def test_non_positive_knob_raises(name: str, value: int) -> None:
    w = WORKLOADS[name]
    knob = next(iter(w.knob_help))
    with pytest.raises(WorkloadError, match=knob):
        w.build("cpu", "S", knobs={knob: value})


def test_bad_size_and_batch_raise() -> None:
    w = WORKLOADS["cnn"]
    with pytest.raises(WorkloadError, match="S, M, L"):
        w.build("cpu", "XL")
    with pytest.raises(WorkloadError, match="batch size"):
        w.build("cpu", "S", batch_size=0)


def test_gpt_heads_must_divide_width() -> None:
    with pytest.raises(WorkloadError, match="divisible"):
        WORKLOADS["gpt"].build("cpu", "S", knobs={"d_model": 64, "n_heads": 3})


def test_same_seed_same_model() -> None:
    w = WORKLOADS["cnn"]
    a = w.build("cpu", "S", seed=7, **TINY["cnn"])  # type: ignore[arg-type]
    b = w.build("cpu", "S", seed=7, **TINY["cnn"])  # type: ignore[arg-type]
    for pa, pb in zip(a.model.parameters(), b.model.parameters(), strict=True):
        torch.testing.assert_close(pa, pb)


def test_small_width_projection_matches_strided_conv() -> None:
    from profiler.workloads.cnn import Projection

    proj = Projection(4, 8, stride=2)
    assert proj.subsample
    reference = torch.nn.Conv2d(4, 8, 1, stride=2, bias=False)
    reference.weight.data.copy_(proj.conv.weight.data)
    x = torch.randn(2, 4, 9, 9)
    torch.testing.assert_close(proj(x), reference(x))
    assert not Projection(8, 16, stride=2).subsample


def test_channels_last_small_width_backward_survives() -> None:
    """torch 2.13's oneDNN strided 1x1 channels_last backward with 3-7 channels corrupts the
    heap; the CNN must route around it. Run in a child so a crash fails one test, not pytest."""
    code = (
        "import torch; torch.set_num_threads(1);"
        "from profiler.workloads import get_workload;"
        "b = get_workload('cnn').build('cpu', 'S', 16, {'width': 4}, channels_last=True);"
        "x, y = b.make_batch(); b.loss_fn(b.model(x), y).backward(); print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
