"""Real model code as people write it: nanoGPT's (logits, loss) with targets in forward, the
model's own optimizer, a GAN's own train_step, selectors and the shapes found by themselves."""

from __future__ import annotations

import dataclasses
import types

import pytest
import torch

from profiler.devices.discovery import describe_device
from profiler.results.model_ref import model_spec_fields
from profiler.results.result import RunState
from profiler.results.spec import RunSpec
from profiler.runner import run_training
from profiler.runner.fit import footprint_from_dict, refusal
from profiler.runner.model_check import check_models, forget_checks
from profiler.workloads.batching import BatchError
from profiler.workloads.flops import count_train_flops
from profiler.workloads.loss_select import SelectorError, find_loss, parse_selector
from profiler.workloads.protocol import ProtocolError, as_model_workload
from profiler.workloads.user import UserWorkload
from tests.paths import EXAMPLES

NANO = f"{EXAMPLES / 'nanogpt_shaped.py'}:build"
GAN = f"{EXAMPLES / 'gan_train_step.py'}:build"
SGD = f"{EXAMPLES / 'custom_optimizer.py'}:build"
NANO_KNOBS = {"n_layer": 2, "n_head": 2, "n_embd": 32, "block_size": 16, "vocab_size": 64}


@pytest.fixture(autouse=True)
def _one_thread() -> object:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    forget_checks()
    yield
    forget_checks()
    torch.set_num_threads(previous)


def spec(ref: str, **fields: object) -> RunSpec:
    base = {"duration_s": 0.3, "threads": 1, "warmup_max_steps": 3, "warmup_max_s": 0.5, **fields}
    return RunSpec(**model_spec_fields(ref), **base)  # type: ignore[arg-type]


def test_selectors_are_a_small_grammar_never_python() -> None:
    out = types.SimpleNamespace(loss=torch.tensor(1.0), parts=[{"loss": torch.tensor(2.0)}])
    assert parse_selector("output").apply(3) == 3
    assert float(parse_selector("output.loss").apply(out)) == 1.0
    assert float(parse_selector("output.parts[0]['loss']").apply(out)) == 2.0
    assert parse_selector('output.parts[-1]["loss"]').text == 'output.parts[-1]["loss"]'
    for bad in ("output[1] + 1", "__import__('os')", "output.__class__()", "loss", "output[a]"):
        with pytest.raises(SelectorError):
            parse_selector(bad)
    with pytest.raises(BatchError, match=r"'output\[2\]' matches nothing: output is a tuple of 2 \(Tensor, Tensor\)"):
        parse_selector("output[2]").apply((torch.ones(2), torch.tensor(1.0)))
    with pytest.raises(ProtocolError, match="does not start with 'output'"):
        as_model_workload({"model": torch.nn.Linear(2, 2), "make_batch": lambda d, b: None, "loss": "logits[1]"},
                          "f()")


def test_the_common_shapes_are_found_and_named() -> None:
    loss, logits = torch.tensor(0.5), torch.ones(2, 3)
    assert find_loss(loss)[1] == "output: the model returns its loss"
    assert find_loss(types.SimpleNamespace(loss=loss, logits=logits))[1] == "output.loss"
    assert find_loss({"logits": logits, "loss": loss})[1] == 'output["loss"]: a dict with a loss'
    found, how = find_loss((logits, loss))
    assert found is loss and how == "output[1]: a (logits, loss) tuple"
    with pytest.raises(BatchError, match=r"output \(a tuple of 2 \(Tensor, NoneType\)\) carries no loss"):
        find_loss((logits, None))  # nanoGPT called without targets


def test_nanogpt_takes_its_targets_and_its_flops_match_palm() -> None:
    workload = UserWorkload(NANO)
    built = workload.build("cpu", batch_size=4, knobs=NANO_KNOBS)
    loss = built.loss_of(built.model, built.make_batch())
    assert loss.ndim == 0 and built.loss_source == "output[1]: a (logits, loss) tuple"
    batch, knobs = 4, NANO_KNOBS
    tokens = batch * knobs["block_size"]
    n = built.params - knobs["block_size"] * knobs["n_embd"]  # PaLM's N: no position embeddings (a lookup)
    head_dim = knobs["n_embd"] // knobs["n_head"]
    palm = 6 * n * tokens + 12 * knobs["n_layer"] * knobs["n_head"] * head_dim * knobs["block_size"] * tokens
    counted = count_train_flops(workload, "S", batch, knobs)
    assert 0.95 < counted / palm < 1.02, (counted, palm)  # every position's logits: the targets reached forward


def test_a_gan_train_step_runs_whole_and_both_networks_are_counted() -> None:
    result = run_training(spec(GAN, knobs={"latent": 16, "hidden": 32, "image": 64}, batch_size=8),
                          device_info=describe_device("cpu"))
    assert result.status == RunState.COMPLETED, result.error
    assert result.loss_source == "train_step(model, batch, optimizer) of the workload"
    b, z, h, i = 8, 16, 32, 64  # G: z->h->i, D: i->h->1; D on real, fake.detach() and fake; G backward once
    assert result.flops_per_step == 2 * b * (2 * z * h + 10 * h * i + 9 * h)
    assert all(loss == loss for loss in result.losses)  # finite: the step returned its loss


@pytest.mark.slow
def test_the_models_own_optimizer_trains_and_the_precheck_uses_its_state() -> None:
    # one check process for the three models (as a sweep checks its points), not one each
    good, gan, nano = check_models([spec(SGD, knobs={"width": 16, "depth": 1}),
                                    spec(GAN, knobs={"latent": 16, "hidden": 32, "image": 64}),
                                    spec(NANO, knobs=NANO_KNOBS)])
    assert good.ok, good.error
    footprint = footprint_from_dict(good.footprint)
    assert footprint is not None and good.optimizer == "SGD"
    assert (footprint.optimizer, footprint.optimizer_state_bytes) == ("SGD", 0)  # no momentum: no state
    assert footprint.activations_measured  # counted through the workload's own loss
    room = footprint.training_bytes(1) + 8  # fits with SGD; AdamW's two fp32 moments would not
    assert refusal(good.label, footprint, room, "test") == ""
    adamw = dataclasses.replace(footprint, optimizer_state_bytes=2 * footprint.grads_bytes, optimizer="AdamW")
    assert "AdamW state" in refusal(good.label, adamw, room, "test")
    gan_footprint = footprint_from_dict(gan.footprint)
    assert gan.ok and gan_footprint is not None and gan.optimizer == "Adam + Adam"
    assert gan_footprint.optimizer_state_bytes == 2 * gan_footprint.grads_bytes + 8 * 4  # moments + a step per tensor
    assert nano.ok and nano.loss_source == "output[1]: a (logits, loss) tuple" and nano.checked_on == "meta"


def test_knobs_of_every_simple_type_reach_the_factory() -> None:
    workload = UserWorkload(SGD)
    kinds = {k.name: (k.kind, k.choices) for k in workload.knobs.values()}
    assert kinds == {"width": ("int", ()), "depth": ("int", ()), "lr": ("float", ()),
                     "activation": ("str", ("relu", "gelu", "tanh")), "layer_norm": ("bool", ())}
    values = workload.resolve_knobs("S", {"lr": 1, "activation": "gelu", "layer_norm": "false"})
    assert values["lr"] == 1.0 and isinstance(values["lr"], float) and values["layer_norm"] is False
    built = workload.build("cpu", batch_size=2, knobs={"width": 8, "depth": 1, "activation": "tanh",
                                                       "layer_norm": False})
    assert [type(m).__name__ for m in built.model] == ["Linear", "Tanh", "Linear"]
    for bad, words in [({"lr": "fast"}, "knob lr takes a number, got 'fast': give e.g. --knob lr=0.1"),
                       ({"layer_norm": 2}, "knob layer_norm takes true or false"),
                       ({"activation": "swish"}, "knob activation is one of relu, gelu, tanh, got 'swish'"),
                       ({"width": 1.5}, "knob width takes an integer")]:
        with pytest.raises(Exception, match=words):
            workload.resolve_knobs("S", bad)
