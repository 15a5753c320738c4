"""The workload protocol in-process: batch rules, factories, knobs, FLOPs of user models."""

from __future__ import annotations

import re
import sys
import types

import pytest
import torch
from torch import nn

from profiler.workloads import WORKLOADS, ModelWorkload, ProtocolError
from profiler.workloads.batching import BatchError, forward_loss, output_loss, split_batch, to_channels_last
from profiler.workloads.flops import count_on_device, count_train_flops
from profiler.workloads.loading import UserCodeError, factory_knobs
from profiler.workloads.protocol import as_model_workload
from profiler.workloads.user import UserWorkload
from tests.models import dict_batch, reads_values, tiny_mlp
from tests.paths import TEST_MODELS

MODELS = TEST_MODELS


@pytest.fixture(autouse=True)
def _one_thread() -> object:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def test_batch_forms_reach_model_and_loss() -> None:
    x, y = torch.ones(2, 3), torch.zeros(2)
    assert split_batch(x) == ((x,), {}, x)
    args, kwargs, target = split_batch((x, x, y))
    assert args == (x, x) and kwargs == {} and target is y
    args, kwargs, target = split_batch(({"a": x}, y))
    assert args == () and kwargs == {"a": x} and target is y
    batch = {"a": x, "labels": y}
    args, kwargs, target = split_batch(batch)
    assert kwargs == batch and target is batch
    seen: dict[str, object] = {}

    def model(a: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        seen.update(a=a, labels=labels)
        return {"loss": a.sum()}

    assert float(forward_loss(model, output_loss, batch)) == 6.0 and seen["labels"] is y
    with pytest.raises(BatchError, match="at least two items"):
        split_batch((x,))
    with pytest.raises(BatchError, match="a batch is a tensor, a tuple"):
        split_batch("text")


def test_output_loss_finds_the_loss_or_says_there_is_none() -> None:
    loss = torch.tensor(2.0)
    assert output_loss(types.SimpleNamespace(loss=loss)) is loss
    assert output_loss((loss, torch.ones(3))) is loss
    assert output_loss(loss) is loss
    with pytest.raises(BatchError, match="carries no loss"):
        output_loss(torch.ones(3))


def test_channels_last_converts_images_only() -> None:
    images, ids = torch.randn(2, 3, 8, 8), torch.zeros(2, 3, 8, 8, dtype=torch.long)
    out = to_channels_last(({"pixels": images, "ids": ids}, torch.zeros(2)))
    assert out[0]["pixels"].is_contiguous(memory_format=torch.channels_last)
    assert out[0]["ids"].is_contiguous()


def test_answers_are_checked_against_the_protocol() -> None:
    make = tiny_mlp.build()["make_batch"]
    assert isinstance(as_model_workload({"model": nn.Linear(2, 2), "make_batch": make}, "f()"), ModelWorkload)
    bad = [
        (nn.Linear(2, 2), "returned an nn.Linear, not a workload: a factory returns a dict"),
        (None, "returned None, not a workload"),
        ({"model": nn.Linear(2, 2)}, "returned no make_batch"),
        ({"model": "net", "make_batch": make}, "model must be a torch.nn.Module, got a str"),
        ({"model": nn.Linear(2, 2), "make_batch": 3}, "make_batch must be callable"),
        ({"model": nn.Linear(2, 2), "make_batch": make, "batch_size": 0}, "batch_size must be a positive integer"),
        ({"model": nn.Linear(2, 2), "make_batch": make, "colour": "red"}, "unknown key(s) colour"),
        ({"model": nn.ReLU(), "make_batch": make}, "no trainable parameters"),
    ]
    for answer, fragment in bad:
        with pytest.raises(ProtocolError) as info:
            as_model_workload(answer, "f()")
        assert fragment in str(info.value), str(info.value)


def test_knobs_come_from_the_factory_signature() -> None:
    knobs = factory_knobs(tiny_mlp.build, "build()")
    assert {k: (v.default, v.help) for k, v in knobs.items()} == {
        "width": (16, "hidden units"), "depth": (1, ""), "note": ("unused", "")}

    def flags(on: bool = True, ratio: float = 0.5, name: str = "x", layers: int = 2, skip: object = None) -> None: ...

    kinds = {k: v.kind for k, v in factory_knobs(flags, "flags()").items()}
    assert kinds == {"on": "bool", "ratio": "float", "name": "str", "layers": "int"}  # None is no knob

    def required(width: int) -> None: ...

    with pytest.raises(ProtocolError, match="parameter 'width' with no default"):
        factory_knobs(required, "required()")


def test_file_and_module_forms_build_the_same_model() -> None:
    by_file = UserWorkload(f"{MODELS / 'tiny_mlp.py'}:build")
    by_module = UserWorkload("tests.models.tiny_mlp:build")
    a = by_file.build("cpu", batch_size=4, knobs={"width": 8}, seed=3)
    b = by_module.build("cpu", batch_size=4, knobs={"width": 8}, seed=3)
    assert a.params == b.params == 8 * 32 + 8 + 8 * 4 + 4
    for pa, pb in zip(a.model.parameters(), b.model.parameters(), strict=True):
        torch.testing.assert_close(pa, pb)
    assert (a.sample_unit, by_file.build("meta").batch_size) == ("rows", 8)  # the factory's default batch
    unknown = re.escape("tiny_mlp.py:build: unknown knob 'bogus'; choose from width, depth, note")
    with pytest.raises(Exception, match=unknown):
        by_file.build("cpu", knobs={"bogus": 1})


def test_user_model_flops_equal_the_analytic_count() -> None:
    workload = UserWorkload("tests.models.tiny_mlp:build")
    for batch, width, depth in [(8, 16, 1), (5, 48, 3)]:
        counted = count_train_flops(workload, "S", batch, {"width": width, "depth": depth})
        assert counted == tiny_mlp.analytic_train_flops(batch, width, depth)
    built = workload.build("cpu", batch_size=8)
    assert count_on_device(built) == tiny_mlp.analytic_train_flops(8, 16, 1)


def test_a_model_that_cannot_run_on_meta_is_counted_on_its_device() -> None:
    workload = UserWorkload("tests.models.reads_values:build")
    with pytest.raises(RuntimeError, match="meta"):
        count_train_flops(workload, "S", 4)
    built = workload.build("cpu")
    assert count_on_device(built) == reads_values.analytic_train_flops(4)  # SDPA counted under MATH
    assert all(p.grad is None for p in built.model.parameters()), "the count leaves no gradients behind"


def test_dict_batches_train() -> None:
    for factory in ("build", "build_with_loss"):
        built = UserWorkload(f"tests.models.dict_batch:{factory}").build("cpu", seed=1)
        batch = built.make_batch()
        assert set(batch) == {"tokens", "mask", "labels"} and built.tokens_per_sample == 6
        opt = torch.optim.AdamW(built.model.parameters(), lr=0.05)
        losses = []
        for _ in range(30):
            loss = forward_loss(built.model, built.loss_fn, built.make_batch())
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert losses[-1] < 0.5 * losses[0], factory
    seq_len = dict_batch.build()["tokens_per_sample"]
    head = 2 * 4 * seq_len * 16 * 50  # the only matmul: (B*T, dim) @ (dim, vocab); the embedding is trained
    assert count_train_flops(UserWorkload("tests.models.dict_batch:build"), "S", 4) == 3 * head


def test_user_code_errors_keep_their_traceback() -> None:
    with pytest.raises(UserCodeError) as info:
        UserWorkload("tests.models.broken:raises").build("cpu")
    assert str(info.value) == "raises() in tests.models.broken raised: ValueError: width 4 is not supported"
    assert 'broken.py", line' in info.value.details and "ValueError: width 4" in info.value.details
    with pytest.raises(UserCodeError, match=re.escape("not_importable.py does not import: ModuleNotFoundError")):
        UserWorkload(f"{MODELS / 'not_importable.py'}:build").resolve_knobs("S")


def test_builtins_follow_the_protocol_as_user_models() -> None:
    as_user = UserWorkload("profiler.workloads.mlp:build")
    builtin = WORKLOADS["mlp"]
    knobs = {"width": 64, "depth": 1}
    assert count_train_flops(as_user, "S", 16, knobs) == count_train_flops(builtin, "S", 16, knobs)
    assert as_user.resolve_knobs("S") == builtin.presets["S"]


def _fake_library(name: str, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """A stand-in for timm or torchvision (their wheels do not import beside this CPU torch)."""
    calls: list[dict[str, object]] = []

    def make(model: str, **kwargs: object) -> nn.Module:
        calls.append({"name": model, **kwargs})
        return nn.Sequential(nn.Conv2d(3, 4, 3, stride=4), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                             nn.Linear(4, int(kwargs["num_classes"])))  # type: ignore[call-overload]

    if name == "timm":
        fake = types.SimpleNamespace(__version__="0.fake", is_model=lambda n: n == "resnet18",
                                     list_models=lambda pattern="*": ["resnet18", "resnet34"],
                                     create_model=make, models=types.SimpleNamespace(
                                         get_pretrained_cfg=lambda n: types.SimpleNamespace(input_size=(3, 64, 64))))
    else:
        models = types.SimpleNamespace(list_models=lambda module=None: ["resnet18"] if module else
                                       ["resnet18", "fasterrcnn_resnet50_fpn"], get_model=make)
        fake = types.SimpleNamespace(__version__="0.fake", models=models)
    monkeypatch.setitem(sys.modules, name, fake)
    return calls


@pytest.mark.parametrize("library", ["timm", "torchvision"])
def test_vision_libraries_build_random_weights(library: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_library(library, monkeypatch)
    workload = UserWorkload(f"{library}:resnet18")
    built = workload.build("cpu", batch_size=2, knobs={"num_classes": 7})
    images, labels = built.make_batch()
    assert images.shape == (2, 3, 64 if library == "timm" else 224, 64 if library == "timm" else 224)
    assert int(labels.max()) < 7 and built.sample_unit == "images"
    flag = {"pretrained": False} if library == "timm" else {"weights": None}
    assert calls[-1] == {"name": "resnet18", "num_classes": 7, **flag}, "never pretrained weights"
    assert workload.source.library == f"{library} 0.fake"
    assert forward_loss(built.model, built.loss_fn, (images, labels)).item() > 0
    with pytest.raises(Exception, match=f"unknown {library} model 'resnet19'; close matches: resnet18"):
        UserWorkload(f"{library}:resnet19").resolve_knobs("S")
    if library == "torchvision":
        with pytest.raises(Exception, match="is not an image classifier"):
            UserWorkload("torchvision:fasterrcnn_resnet50_fpn").resolve_knobs("S")


def test_a_library_that_does_not_import_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def find_spec(self, name: str, path: object = None, target: object = None) -> object:
            if name != "torchvision":
                return None
            import importlib.machinery

            return importlib.machinery.ModuleSpec(name, self)

        def create_module(self, spec: object) -> None:
            return None

        def exec_module(self, module: object) -> None:
            raise RuntimeError("operator torchvision::nms does not exist")

    monkeypatch.delitem(sys.modules, "torchvision", raising=False)
    monkeypatch.setattr(sys, "meta_path", [Broken(), *sys.meta_path])
    with pytest.raises(UserCodeError) as info:
        UserWorkload("torchvision:resnet18").resolve_knobs("S")
    assert str(info.value).startswith(f"torchvision: torchvision does not import beside torch {torch.__version__} "
                                      "(RuntimeError: operator torchvision::nms does not exist): ")
    assert f"fix: install the torchvision build made for torch {torch.__version__}" in str(info.value)
