"""The shipped corpus of published single-GPU training throughputs (resources/published)."""

from __future__ import annotations

import csv
import math
import re
from collections import Counter

import pytest

from profiler.analysis.advisor import load_catalogue
from profiler.analysis.advisor.resources_io import resource_dir

COLUMNS = ["id", "model_family", "model", "model_ref", "knobs", "input_shape", "batch", "precision", "gpu",
           "samples_per_s", "unit_note", "source", "source_url", "source_locator", "published", "software", "notes"]
FAMILIES = {"cnn", "depthwise_cnn", "vit", "bert", "gpt", "lstm"}
PRECISIONS = {"fp32", "tf32", "fp16", "amp", "bf16"}
#: NVIDIA architectures with TF32 tensor cores (A100 whitepaper onwards)
TF32_ARCHITECTURES = {"NVIDIA Ampere", "NVIDIA Ada Lovelace", "NVIDIA Hopper", "NVIDIA Blackwell"}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    path = resource_dir("published") / "training_throughput.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def test_corpus_is_large_and_varied_enough(rows: list[dict[str, str]]) -> None:
    assert len(rows) >= 60
    assert len({r["gpu"] for r in rows}) >= 8
    assert {r["model_family"] for r in rows} == FAMILIES
    assert all(r["model_family"] in FAMILIES for r in rows)
    by_family = Counter(r["model_family"] for r in rows)
    assert min(by_family.values()) >= 2  # a family with one row cannot be left out of its own fit


def test_every_row_is_a_sourced_positive_measurement(rows: list[dict[str, str]]) -> None:
    for row in rows:
        where = row["id"]
        assert row["source_url"].startswith("https://"), where
        assert row["source"] and row["source_locator"] and row["published"], where
        value = float(row["samples_per_s"])
        assert math.isfinite(value) and value > 0, where
        assert int(row["batch"]) >= 1, where
        assert row["precision"] in PRECISIONS, where
        assert row["unit_note"] and row["model"] and row["model_ref"], where
        assert len(row["published"]) in (7, 10) and row["published"][4] == "-", where


def test_ids_are_unique(rows: list[dict[str, str]]) -> None:
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]


def test_every_gpu_is_a_catalogue_device(rows: list[dict[str, str]]) -> None:
    catalogue = load_catalogue(use_overrides=False)
    unknown = sorted({r["gpu"] for r in rows if catalogue.get(r["gpu"]) is None})
    assert unknown == []
    assert all(not catalogue.get(r["gpu"]).is_cpu for r in rows)
    # each has an architecture, so its siblings' offset is shared (``fit.OFFSET_LEVELS``)
    assert sorted({r["gpu"] for r in rows if catalogue.get(r["gpu"]).architecture is None}) == []


def test_a_row_sits_on_the_board_its_source_names(rows: list[dict[str, str]]) -> None:
    # a device the source names in its locator ('Tesla V100-SXM2-32GB-LS') is the catalogue
    # device torch's name would match, not a sibling board with another clock
    catalogue = load_catalogue(use_overrides=False)
    named = [r for r in rows if "device '" in r["source_locator"]]
    assert len(named) >= 50  # Languini's rows name their device
    for row in named:
        device_name = re.search(r"device '([^']+)'", row["source_locator"]).group(1)
        matched = catalogue.match_accelerator(device_name)
        assert matched is not None and matched.id == row["gpu"], (row["id"], device_name)


def test_tf32_rows_are_on_gpus_that_have_tf32(rows: list[dict[str, str]]) -> None:
    """Volta/Turing have no TF32: a 'tf32' label there would be a labelling mistake."""
    catalogue = load_catalogue(use_overrides=False)
    tf32_rows = [r for r in rows if r["precision"] == "tf32"]
    assert tf32_rows
    for row in tf32_rows:  # by architecture: a GeForce Ampere part's TF32 tensor rate is its FP32 rate
        assert catalogue.get(row["gpu"]).architecture in TF32_ARCHITECTURES, row["id"]
    assert catalogue.get("titan-rtx").architecture not in TF32_ARCHITECTURES


def test_the_readme_counts_the_rows_the_csv_has(rows: list[dict[str, str]]) -> None:
    # the README's "Rows by GPU and model family" table and its precision line are the CSV's
    text = (resource_dir("published") / "README.md").read_text(encoding="utf-8")
    table = text[text.index("| GPU (catalogue id) |"):]
    table = table[:table.index("\n\n")].splitlines()
    families = [c.strip() for c in table[0].strip("|").split("|")][2:-1]
    shown: dict[str, Counter[str]] = {}
    for line in table[2:-1]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        gpu = cells[0].strip("`")
        shown[gpu] = Counter({f: int(n) for f, n in zip(families, cells[2:-1], strict=True) if n})
        assert int(cells[-1]) == sum(shown[gpu].values()), gpu
    counted: dict[str, Counter[str]] = {}
    for row in rows:
        counted.setdefault(row["gpu"], Counter())[row["model_family"]] += 1
    assert shown == counted
    assert f"**{len(rows)}** |" in table[-1]
    precisions = Counter(r["precision"] for r in rows)
    line = "Precisions: " + ", ".join(f"{p} {n}" for p, n in precisions.most_common()) + "."
    assert line in text


def test_input_shape_and_unit_match_the_family(rows: list[dict[str, str]]) -> None:
    """Images carry CxHxW, text carries seq=N; only LSTM (GNMT) rows count tokens, and say so."""
    image = re.compile(r"^\d+x\d+x\d+$")
    text = re.compile(r"^seq=\d+$")
    for row in rows:
        family, shape, unit = row["model_family"], row["input_shape"], row["unit_note"]
        if family in ("cnn", "depthwise_cnn", "vit"):
            assert image.match(shape) and unit.startswith("image"), row["id"]
        elif family == "lstm":
            assert text.match(shape) and unit.startswith("token:"), row["id"]
        else:
            assert text.match(shape) and unit.startswith("sequence"), row["id"]


def test_knobs_are_key_value_pairs(rows: list[dict[str, str]]) -> None:
    for row in rows:
        for pair in filter(None, row["knobs"].split(";")):
            key, sep, value = pair.partition("=")
            assert sep and key.strip() and value.strip(), (row["id"], pair)


def test_every_model_ref_builds_offline_with_its_knobs(rows: list[dict[str, str]]) -> None:
    """``hf:`` refs resolve without the network and every knob is a field of their config;
    ``lstm`` knobs are the built-in workload's; ``timm:`` (no transformers equivalent) is only named."""
    transformers = pytest.importorskip("transformers")
    from profiler.workloads.hf import _build_config
    from profiler.workloads.hf_names import recipe
    from profiler.workloads.lstm import LSTM

    checked: set[tuple[str, str]] = set()
    for row in rows:
        ref, knobs = row["model_ref"], row["knobs"]
        if (ref, knobs) in checked:
            continue
        checked.add((ref, knobs))
        keys = [pair.partition("=")[0] for pair in filter(None, knobs.split(";"))]
        if ref.startswith("hf:"):
            config = _build_config(transformers, recipe(transformers, ref[3:]), {})
            missing = [k for k in keys if k != "num_labels" and not hasattr(config, k)]
            assert missing == [], (row["id"], missing)
        elif ref == "lstm":
            assert set(keys) <= set(LSTM.presets["S"]), row["id"]
        else:
            assert ref.startswith("timm:") and knobs == "", row["id"]
    assert any(ref.startswith("hf:") for ref, _ in checked)
