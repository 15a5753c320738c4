"""Run names that say what differs; labels made unique; partial figures marked."""

from __future__ import annotations

import pytest

from profiler.analysis.sweep import spec_for
from profiler.metrics.naming import auto_name, distinct_labels, run_label
from profiler.metrics.quality import partial_reason
from profiler.results.spec import RunSpec
from profiler.runner.validate import SpecError, validate_spec
from tests.helpers import fabricated


def test_automatic_names_carry_knobs_batch_precision_threads_and_origin():
    assert RunSpec(workload="mlp").title == "mlp-S fp32 on cpu"
    spec = RunSpec(workload="mlp", knobs={"width": 256, "depth": 2}, batch_size=128, precision="bf16",
                   threads=1, compile=True, origin="sweep")
    assert spec.title == "mlp-S depth=2 width=256 bs128 bf16 compiled 1 thread on cpu · sweep"
    assert RunSpec(workload="gpt", size="M", device="cuda:0", origin="demo").title == \
        "gpt-M fp32 on cuda:0 · presentation"
    assert RunSpec(workload="mlp", name="laptop", origin="sweep").title == "laptop"  # the user's name wins
    assert auto_name({"workload": "cnn", "channels_last": True, "threads": 2}) == \
        "cnn-S fp32 channels-last 2 threads on cpu"


def test_sweep_points_are_named_as_sweep_points():
    names = {spec_for("mlp", "width", v, "cpu", None).title for v in (64, 256)}
    assert names == {"mlp-S width=64 fp32 on cpu · sweep", "mlp-S width=256 fp32 on cpu · sweep"}
    assert spec_for("mlp", "batch_size", 32, "cpu", RunSpec(workload="mlp", name="x")).title == \
        "mlp-S bs32 fp32 on cpu · sweep"


def test_labels_are_unique_within_a_set():
    a, b, c = (fabricated(i, "cpu").to_dict() for i in ("a", "b", "c"))
    a["started_at"], b["started_at"], c["started_at"] = 1e9, 1e9 + 5, 1e9 + 5
    labels = distinct_labels([a, b, c])
    assert len(set(labels)) == 3 and all(label.startswith("mlp-S bs32 fp32 on cpu") for label in labels)
    assert labels[2].endswith("#2")
    other = fabricated("d", "cpu", precision="bf16").to_dict()
    assert distinct_labels([a, other]) == ["mlp-S bs32 fp32 on cpu", "mlp-S bs32 bf16 on cpu"]
    assert run_label({"run_id": "x", "name": "stored"}) == "stored"


def test_an_unknown_origin_is_rejected():
    with pytest.raises(SpecError, match="unknown run origin"):
        validate_spec(RunSpec(workload="mlp", origin="robot"))


def test_partial_figures_are_marked():
    stopped = fabricated("s").to_dict() | {"status": "stopped"}
    reason = partial_reason(stopped)
    assert reason.startswith("partial: stopped after 200 ms of a planned 10 s timed window (20 steps)")
    assert partial_reason(fabricated("c").to_dict()) == ""
    assert partial_reason({"status": "failed", "timed_steps": 0}) == ""  # nothing measured: no figure


def test_a_run_and_its_dict_get_the_same_partial_verdict():
    stopped = fabricated("s")
    stopped.status = "stopped"
    assert stopped.partial == partial_reason(stopped.to_dict()) != ""
    assert fabricated("c").partial == ""
    empty = fabricated("e")
    empty.status, empty.step_times_s = "failed", []
    assert empty.partial == ""  # nothing measured: no figure to mark


def test_names_show_the_input_pipeline_and_its_workers():
    from profiler.metrics.naming import auto_name
    zero = auto_name({"workload": "mlp", "size": "S", "input_pipeline": True, "loader_workers": 0})
    two = auto_name({"workload": "mlp", "size": "S", "input_pipeline": True, "loader_workers": 2})
    assert zero == "mlp-S fp32 loader 0 workers on cpu" and two == "mlp-S fp32 loader 2 workers on cpu"
    gpu = auto_name({"workload": "mlp", "device": "cuda:0", "input_pipeline": True, "loader_workers": 1,
                     "pin_memory": False})
    assert "loader 1 worker no pinning" in gpu
    assert "loader" not in auto_name({"workload": "mlp", "loader_workers": 0})
