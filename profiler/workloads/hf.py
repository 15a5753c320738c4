"""``hf:NAME``: a Hugging Face ``transformers`` architecture with random weights, no download.

NAME is a model type the library knows (``gpt2``, ``bert``, ``llama``: its default config), a
checkpoint name whose architecture a config class documents as its default (``gpt2``,
``bert-base-uncased``: "Instantiating a configuration with the defaults will yield a similar
configuration to that of the [google-bert/bert-base-uncased] architecture", in each config's
docstring), a checkpoint already in the local cache (read with ``local_files_only``), or a
path to a ``config.json`` (or a folder holding one). The model is ``AutoModelFor...
.from_config(config)``: weights are random, nothing is fetched.

The training task follows the config: sequence-to-sequence LM, masked LM, causal LM or image
classification (in that order when the config names no architecture). Text batches are
random token ids within the vocabulary with ``labels`` (the model computes its own loss);
image batches are random ``pixel_values`` with class ``labels``. Knobs: ``seq_len`` (text)
and every positive integer field of the config (``n_layer``, ``hidden_size``, ...).
Runs library code: call in a worker or a model-check process only.
"""

from __future__ import annotations

import copy
import difflib
import json
import os
import re
from functools import lru_cache
from typing import Any

import torch

from profiler.results.model_ref import ModelRef
from profiler.workloads.libraries import ModelSource, import_library
from profiler.workloads.loading import Knob
from profiler.workloads.protocol import ModelWorkload, WorkloadError

DEFAULT_SEQ_LEN = 128
TEXT_BATCH, IMAGE_BATCH = 8, 16
#: (task, Auto class, name of transformers' model-type -> class mapping), in preference order
TASKS = (
    ("seq2seq-lm", "AutoModelForSeq2SeqLM", "MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES"),
    ("masked-lm", "AutoModelForMaskedLM", "MODEL_FOR_MASKED_LM_MAPPING_NAMES"),
    ("causal-lm", "AutoModelForCausalLM", "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES"),
    ("image-classification", "AutoModelForImageClassification", "MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING_NAMES"),
)
POSITION_FIELDS = ("max_position_embeddings", "n_positions", "n_ctx", "max_seq_len", "seq_length")
DOCUMENTED = re.compile(r"configuration to that of the \[([^\]]+)\]")


def hf_source(ref: ModelRef) -> ModelSource:
    """The factory of ``hf:NAME`` with its knobs (raises ``WorkloadError`` for unknown names)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach the network from a run
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    transformers = import_library("transformers", "hf")
    transformers.logging.set_verbosity_error()
    config = _config(transformers, ref.target)
    task, auto_name = _task(transformers, config)
    text = task != "image-classification"
    knobs = {k: Knob(k, v, "config field") for k, v in _int_fields(config).items()}
    if text:
        if not isinstance(getattr(config, "vocab_size", None), int):
            raise WorkloadError(f"hf:{ref.target}: the config has no vocab_size, so token batches cannot be made")
        knobs["seq_len"] = Knob("seq_len", _default_seq_len(config), "tokens per training sequence")
    else:
        knobs["num_labels"] = Knob("num_labels", int(config.num_labels), "output classes")
    auto = getattr(transformers, auto_name)

    def build(**values: int) -> ModelWorkload:
        cfg = copy.deepcopy(config)
        for name, value in values.items():
            if name not in ("seq_len", "num_labels"):
                setattr(cfg, name, value)
        if "num_labels" in values:
            cfg.num_labels = values["num_labels"]
        if hasattr(cfg, "use_cache"):
            cfg.use_cache = False  # training: no key/value cache
        model = auto.from_config(cfg)
        if text:
            return _text_workload(model, cfg, task, values.get("seq_len", knobs["seq_len"].default))
        return _image_workload(model, cfg)

    version = f"transformers {getattr(transformers, '__version__', '?')}"
    return ModelSource(f"hf:{ref.target}", knobs, build, version)


def _int_fields(config: Any) -> dict[str, int]:
    return {k: v for k, v in sorted(config.to_dict().items())
            if isinstance(v, int) and not isinstance(v, bool) and v > 0 and not k.endswith("token_id")}


def _default_seq_len(config: Any) -> int:
    for name in POSITION_FIELDS:
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return min(DEFAULT_SEQ_LEN, value)
    return DEFAULT_SEQ_LEN


def _text_workload(model: Any, cfg: Any, task: str, seq_len: int) -> ModelWorkload:
    vocab = int(cfg.vocab_size)

    def make_batch(device: torch.device, batch_size: int) -> dict[str, torch.Tensor]:
        ids = torch.randint(0, vocab, (batch_size, seq_len), device=device)
        return {"input_ids": ids, "labels": ids.clone()}  # learnable: predict the tokens seen

    return ModelWorkload(model=model, make_batch=make_batch, loss=None, sample_unit="sequences",
                         batch_size=TEXT_BATCH, tokens_per_sample=seq_len)


def _image_workload(model: Any, cfg: Any) -> ModelWorkload:
    size = int(getattr(cfg, "image_size", 224))
    channels = int(getattr(cfg, "num_channels", 3))
    classes = int(cfg.num_labels)

    def make_batch(device: torch.device, batch_size: int) -> dict[str, torch.Tensor]:
        return {"pixel_values": torch.randn(batch_size, channels, size, size, device=device),
                "labels": torch.randint(0, classes, (batch_size,), device=device)}

    return ModelWorkload(model=model, make_batch=make_batch, loss=None, sample_unit="images",
                         batch_size=IMAGE_BATCH)


def _task(transformers: Any, config: Any) -> tuple[str, str]:
    from transformers.models.auto import modeling_auto

    model_type = getattr(config, "model_type", "")
    archs = set(getattr(config, "architectures", None) or ())
    tables = [(task, auto, getattr(modeling_auto, table, {})) for task, auto, table in TASKS]
    for task, auto, table in tables:
        if archs and archs & set(_flatten(table.values())):
            return task, auto
    for task, auto, table in tables:
        if model_type in table:
            return task, auto
    raise WorkloadError(f"hf model type {model_type!r} has no language-model or image-classification head in "
                        "transformers, so Horsepower cannot train it; give a causal LM, masked LM, "
                        "seq2seq LM or image classifier")


def _flatten(values: Any) -> list[str]:
    out: list[str] = []
    for value in values:
        out.extend(value if isinstance(value, (tuple, list)) else [value])
    return out


def _config(transformers: Any, name: str) -> Any:
    auto = transformers.AutoConfig
    if os.path.isabs(name):
        return _config_from_path(auto, name)
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    if name in CONFIG_MAPPING_NAMES:
        return auto.for_model(name)
    try:
        return auto.from_pretrained(name, local_files_only=True)  # a checkpoint's real config, if cached
    except (OSError, ValueError):
        pass
    documented = documented_checkpoints()
    match = documented.get(name) or documented.get(name.split("/")[-1])
    if match:
        return auto.for_model(match)
    close = difflib.get_close_matches(name, list(dict.fromkeys([*CONFIG_MAPPING_NAMES, *documented])), n=5,
                                    cutoff=0.6)
    hint = f"; close matches: {', '.join(close)}" if close else ""
    raise WorkloadError(f"unknown hf model {name!r}: not a model type transformers knows, not a checkpoint its "
                        f"configs document, not in the local cache{hint} (or give a config: hf:path/to/config.json)")


def _config_from_path(auto: Any, path: str) -> Any:
    if os.path.isdir(path):
        return auto.from_pretrained(path, local_files_only=True)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise WorkloadError(f"cannot read the config {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("model_type"), str):
        raise WorkloadError(f"{path} is not a transformers config: it needs a \"model_type\" (e.g. \"gpt2\")")
    model_type = data.pop("model_type")
    try:
        return auto.for_model(model_type, **data)
    except ValueError as exc:
        raise WorkloadError(f"{path}: {str(exc).splitlines()[0][:200]}") from None


@lru_cache(maxsize=1)
def documented_checkpoints() -> dict[str, str]:
    """Checkpoint name (``org/name`` and ``name``) -> model type, from each config class's own
    docstring ("... similar configuration to that of the [org/name] architecture")."""
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING, CONFIG_MAPPING_NAMES

    found: dict[str, str] = {}
    for model_type in CONFIG_MAPPING_NAMES:
        try:
            doc = CONFIG_MAPPING[model_type].__doc__ or ""
        except Exception:  # a config module that does not import here (optional dependency)
            continue
        match = DOCUMENTED.search(doc)
        if match:
            checkpoint = match.group(1)
            found.setdefault(checkpoint, model_type)
            found.setdefault(checkpoint.split("/")[-1], model_type)
    return found

