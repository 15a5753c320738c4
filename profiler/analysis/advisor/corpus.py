"""The corpus of published single-GPU training throughputs the efficiency model is fitted to.

``resources/published/training_throughput.csv`` (its README names every source and licence):
one row per published figure: model family, model and the reference the engine can count
(``hf:microsoft/resnet-50``, a built-in name) with its knobs, input shape, batch, precision,
catalogue GPU, samples/s and its source. A figure published in tokens/s (``unit_note``
"token...") becomes sequences/s: divided by the ``seq_len`` knob. ``load_corpus(catalogue)`` reads and checks it (or a
user's file given with ``--corpus``): a bad row is ``CorpusError`` naming the row and field.
Reading only; the figures are the sources', credited wherever they are shown.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from profiler.analysis.advisor.catalogue import Catalogue
from profiler.analysis.advisor.hardware import HardwareDevice
from profiler.analysis.advisor.precision import TARGET_PRECISIONS
from profiler.analysis.advisor.resources_io import PUBLISHED_DIR, read_text
from profiler.workloads.knobs import parse_knob_list

CORPUS_FILE = "training_throughput.csv"
FAMILIES = ("cnn", "depthwise_cnn", "vit", "bert", "gpt", "lstm")
REQUIRED = ("id", "model_family", "model", "model_ref", "batch", "precision", "gpu", "samples_per_s", "source")
#: software that turns TF32 on for fp32 matmuls: NGC PyTorch containers
#: (TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1) and PyTorch 1.7-1.11, whose default it was
_MATMUL_TF32 = re.compile(r"\bNGC\b|\b\d\d\.\d\d-py3\b|\b(?:py)?torch[ =-]?v?1\.(?:[7-9]|1[01])\b", re.IGNORECASE)
#: the software stack a row names: the first version after "PyTorch" or "NGC" (a container tag
#: such as 20.10, or a PyTorch release such as 1.4)
_STACK_VERSION = re.compile(r"(?:pytorch|ngc)[^0-9]{0,12}(\d+\.\d+)", re.IGNORECASE)
CORPUS_CREDIT = ("Published GPU training throughputs: resources/published/training_throughput.csv "
                 "(NVIDIA DeepLearningExamples, Lambda's deeplearning-benchmark and others; one source per row)")


class CorpusError(ValueError):
    """A corpus file that cannot be used; the message is one line naming the row and field."""


@dataclass(frozen=True)
class CorpusRow:
    """One published figure on one catalogue device."""

    id: str
    family: str
    model: str
    model_ref: str
    knobs: Mapping[str, Any]
    batch: int
    precision: str
    device: HardwareDevice
    samples_per_s: float
    source: str
    source_url: str
    software: str

    @property
    def matmul_tf32(self) -> bool:
        """The published fp32 figure ran its matmuls in TF32 (see ``_MATMUL_TF32``)."""
        return self.precision == "fp32" and bool(_MATMUL_TF32.search(self.software))

    @property
    def stack(self) -> str:
        """The row's software stack in a few words ("PyTorch/NGC 20.10"; the whole text when
        it names no version): figures of one source on different stacks (Lambda's 2020-2022
        table spans NGC 20.01 and 20.10) differ by more than the GPU."""
        found = _STACK_VERSION.search(self.software)
        return f"PyTorch/NGC {found.group(1)}" if found else (self.software or "software not stated")

    @property
    def model_key(self) -> str:
        """The model with its knobs (rows of one network share it; batch and precision aside)."""
        from profiler.analysis.advisor.model_facts import facts_key

        return facts_key(self.model_ref, self.knobs)


def parse_knobs(text: str) -> dict[str, Any]:
    """``"num_labels=1000;seq_len=384"`` -> ``{"num_labels": 1000, "seq_len": 384}``: the knob
    list a model's knobs are written in everywhere (``workloads.knobs.parse_knob_list``; a value
    is a number, else its text: ``depths=[3,4,6,3]``), a ``ValueError`` for a part that is not k=v."""
    return dict(parse_knob_list(str(text or "")))


def _knobs(row: Mapping[str, str]) -> dict[str, Any]:
    knobs = parse_knobs(row.get("knobs") or "")
    shape = str(row.get("input_shape") or "").strip()
    if shape.startswith("seq=") and "seq_len" not in knobs:
        knobs["seq_len"] = int(shape[4:])
    return knobs


def _device(catalogue: Catalogue, name: str) -> HardwareDevice | None:
    wanted = name.strip().lower()
    return next((d for d in catalogue.devices if wanted in (d.id.lower(), d.name.lower())), None)


def _row(catalogue: Catalogue, raw: Mapping[str, str], where: str) -> CorpusRow:
    missing = [k for k in REQUIRED if not str(raw.get(k) or "").strip()]
    if missing:
        raise CorpusError(f"{where}: empty {', '.join(missing)}")
    family = raw["model_family"].strip()
    if family not in FAMILIES:
        raise CorpusError(f"{where}: model_family {family!r} is not one of {', '.join(FAMILIES)}")
    precision = raw["precision"].strip().lower()
    if precision not in TARGET_PRECISIONS:
        raise CorpusError(f"{where}: precision {precision!r} is not one of {', '.join(TARGET_PRECISIONS)}")
    try:
        batch = int(raw["batch"])
        rate = float(raw["samples_per_s"].replace(",", ""))
    except ValueError:
        raise CorpusError(f"{where}: batch {raw['batch']!r} or samples_per_s {raw['samples_per_s']!r} "
                          "is not a number") from None
    if batch <= 0 or not math.isfinite(rate) or rate <= 0:
        raise CorpusError(f"{where}: batch and samples_per_s must be more than zero")
    device = _device(catalogue, raw["gpu"])
    if device is None:
        raise CorpusError(f"{where}: gpu {raw['gpu']!r} is not a catalogue device (id or name)")
    try:
        knobs = _knobs(raw)
    except ValueError as exc:
        raise CorpusError(f"{where}: {exc}") from None
    if str(raw.get("unit_note") or "").strip().lower().startswith("token"):
        if not isinstance(knobs.get("seq_len"), int) or knobs["seq_len"] <= 0:
            raise CorpusError(f"{where}: a figure in tokens/s needs a seq_len knob to give sequences/s")
        rate /= knobs["seq_len"]  # tokens/s -> sequences of seq_len tokens per second
    return CorpusRow(raw["id"].strip(), family, raw["model"].strip(), raw["model_ref"].strip(), knobs, batch,
                     precision, device, rate, raw["source"].strip(), str(raw.get("source_url") or "").strip(),
                     str(raw.get("software") or "").strip())


def parse_corpus(text: str, catalogue: Catalogue, name: str = CORPUS_FILE) -> tuple[CorpusRow, ...]:
    """Every row of a corpus CSV (``CorpusError`` for the first bad row or a duplicate id)."""
    reader = csv.DictReader(io.StringIO(text))
    absent = [k for k in REQUIRED if k not in (reader.fieldnames or [])]
    if absent:
        raise CorpusError(f"{name}: missing column(s) {', '.join(absent)}")
    rows, seen = [], set()
    for number, raw in enumerate(reader, start=2):
        row = _row(catalogue, raw, f"{name} line {number}")
        if row.id in seen:
            raise CorpusError(f"{name} line {number}: id {row.id!r} appears twice")
        seen.add(row.id)
        rows.append(row)
    if not rows:
        raise CorpusError(f"{name}: no rows")
    return tuple(rows)


@dataclass(frozen=True)
class PublishedModel:
    """A model the shipped corpus has figures of, as ``advise --model`` takes it: advice on it is
    projected as a corpus model (its own published figures in the fit, the narrower band)."""

    name: str  # as its sources name it: "ResNet-50 v1.5"
    family: str
    ref: str
    knobs: Mapping[str, Any]
    figures: int  # published figures of it in the corpus

    @property
    def knob_text(self) -> str:
        """``num_labels=1000 seq_len=384``: the knobs as the window's Knobs field takes them."""
        return " ".join(f"{k}={v}" for k, v in sorted(self.knobs.items()))


def published_models() -> tuple[PublishedModel, ...]:
    """The shipped corpus's models, one per reference and knobs, by family then name (a model
    several sources name differently takes its most frequent name). Needs no catalogue."""
    from profiler.analysis.advisor.model_facts import facts_key

    seen: dict[str, tuple[dict[str, Any], list[Mapping[str, str]]]] = {}
    for raw in csv.DictReader(io.StringIO(read_text(PUBLISHED_DIR, CORPUS_FILE))):
        knobs = _knobs(raw)
        seen.setdefault(facts_key(raw["model_ref"], knobs), (knobs, []))[1].append(raw)
    out = []
    for knobs, rows in seen.values():
        names = [r["model"] for r in rows]
        name = max(dict.fromkeys(names), key=names.count)
        out.append(PublishedModel(name, rows[0]["model_family"], rows[0]["model_ref"], knobs, len(rows)))
    order = {family: i for i, family in enumerate(FAMILIES)}
    return tuple(sorted(out, key=lambda m: (order.get(m.family, len(order)), m.name.lower())))


def corpus_shipped() -> bool:
    """True when this installation carries the corpus file."""
    try:
        read_text(PUBLISHED_DIR, CORPUS_FILE)
    except FileNotFoundError:
        return False
    return True


def load_corpus(catalogue: Catalogue, path: str | Path | None = None) -> tuple[CorpusRow, ...]:
    """The shipped corpus, or the file at ``path`` (``CorpusError`` if it cannot be used)."""
    if path is None:
        try:
            return parse_corpus(read_text(PUBLISHED_DIR, CORPUS_FILE), catalogue)
        except FileNotFoundError:
            raise CorpusError(f"{CORPUS_FILE} is missing from this installation") from None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: cannot read it ({exc})") from None
    return parse_corpus(text, catalogue, Path(path).name)
