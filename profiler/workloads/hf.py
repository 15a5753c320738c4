"""``hf:NAME``: a Hugging Face ``transformers`` architecture with random weights, no download.

What NAME names is ``hf_names.recipe``: a config file, a cached checkpoint, a well-known
checkpoint of the offline table (``distilgpt2``, ``facebook/opt-125m``,
``EleutherAI/pythia-70m``, ``t5-small``...), a model type (``gpt2``, ``llama``) or a
checkpoint a config class documents. The config is BUILT with the knobs,
``AutoConfig.for_model(model_type, **values, **knobs)``, so fields derived from others follow
them (``hf:llama --knob hidden_size=512 --knob num_attention_heads=8`` gets ``head_dim`` 64);
a knob left at its default is left to the config. The model is ``AutoModelFor...
.from_config(config)``: weights are random, nothing is fetched. ``architecture`` says what
was built (layers, width, heads, head_dim, parameters) and, for a model of several towers,
which one trains.

The training task follows the config: sequence-to-sequence LM, masked LM, causal LM or image
classification (in that order when the config names no architecture). Text batches are
random token ids within the vocabulary with ``labels`` (the model computes its own loss);
image batches are random ``pixel_values`` with class ``labels``. Knobs: ``seq_len`` (text)
and every positive integer and every float field of the config (``n_layer``, ``hidden_size``,
``attention_dropout``...). Runs library code: call in a worker or a model-check process only.
"""

from __future__ import annotations

import os
from typing import Any

import torch

from profiler.error_text import first_line
from profiler.results.model_ref import ModelRef
from profiler.workloads.companions import BROKEN, OPTIONAL_COMPANIONS
from profiler.workloads.hf_names import Recipe, recipe
from profiler.workloads.knobs import Knob, KnobValue
from profiler.workloads.libraries import ModelSource, import_library
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
LOCAL_KNOBS = ("seq_len",)  # knobs of the batch, not of the config


def hf_source(ref: ModelRef) -> ModelSource:
    """The factory of ``hf:NAME`` with its knobs (raises ``WorkloadError`` for unknown names)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach the network from a run
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    transformers = import_library("transformers", "hf")
    transformers.logging.set_verbosity_error()
    how = recipe(transformers, ref.target)
    config = _build_config(transformers, how, {})
    task, auto_name = _task(config)
    text = task != "image-classification"
    knobs = {k: Knob(k, v, "config field") for k, v in _config_fields(config).items()}
    if text:
        if not isinstance(getattr(config, "vocab_size", None), int):
            raise WorkloadError(f"hf:{ref.target}: the config has no vocab_size, so token batches cannot be made")
        knobs["seq_len"] = Knob("seq_len", _default_seq_len(config), "tokens per training sequence")
    elif not isinstance(getattr(config, "num_labels", None), int):
        raise WorkloadError(f"hf:{ref.target}: the config has no num_labels, so class labels cannot be made")
    else:
        knobs["num_labels"] = Knob("num_labels", int(config.num_labels), "output classes")
    auto = getattr(transformers, auto_name)
    part = _part_trained(config, task, auto_name)

    def build(**values: KnobValue) -> ModelWorkload:
        changed = {k: v for k, v in values.items() if k not in LOCAL_KNOBS and v != knobs[k].default}
        cfg = _build_config(transformers, how, changed)
        model = auto.from_config(cfg)
        line = architecture(cfg, model, part)
        if text:
            seq_len = int(values.get("seq_len", knobs["seq_len"].default))
            return _text_workload(model, cfg, seq_len, line)
        return _image_workload(model, cfg, line)

    library = f"transformers {getattr(transformers, '__version__', '?')}; config from {how.origin}"
    for name in OPTIONAL_COMPANIONS["transformers"]:
        if name in BROKEN:
            library += f"; {name} is off here ({BROKEN[name]})"
    return ModelSource(f"hf:{ref.target}", knobs, build, library)


def _build_config(transformers: Any, how: Recipe, knobs: dict[str, KnobValue]) -> Any:
    """``AutoConfig.for_model`` with the recipe's values and the knobs, for training (no cache;
    an encoder-decoder that names no decoder start token starts at its pad token, as T5 does)."""
    values = {**how.kwargs, **knobs}
    try:
        config = transformers.AutoConfig.for_model(how.model_type, **values)
    except (ValueError, TypeError, KeyError) as exc:
        raise WorkloadError(f"hf {how.model_type} config from {how.origin} cannot be built with "
                            f"{_short(knobs) or 'its values'}: {first_line(exc, 200, named=False)}") from None
    if hasattr(config, "use_cache"):
        config.use_cache = False  # training: no key/value cache
    if getattr(config, "is_encoder_decoder", False) and getattr(config, "decoder_start_token_id", None) is None:
        pad = getattr(config, "pad_token_id", None)
        config.decoder_start_token_id = pad if isinstance(pad, int) else 0
    return config


def _short(knobs: dict[str, KnobValue]) -> str:
    return ", ".join(f"{k}={v}" for k, v in knobs.items())


def _config_fields(config: Any) -> dict[str, int | float]:
    """Positive integer fields (sizes, counts) and float fields (dropouts, epsilons) of ``config``."""
    out: dict[str, int | float] = {}
    for k, v in sorted(config.to_dict().items()):
        if isinstance(v, bool) or k.endswith("token_id") or k.startswith("_"):
            continue
        if (isinstance(v, int) and v > 0) or isinstance(v, float):
            out[k] = v
    return out


def _default_seq_len(config: Any) -> int:
    for name in POSITION_FIELDS:
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return min(DEFAULT_SEQ_LEN, value)
    return DEFAULT_SEQ_LEN


def _text_workload(model: Any, cfg: Any, seq_len: int, line: str) -> ModelWorkload:
    vocab = int(cfg.vocab_size)

    def make_batch(device: torch.device, batch_size: int) -> dict[str, torch.Tensor]:
        ids = torch.randint(0, vocab, (batch_size, seq_len), device=device)
        return {"input_ids": ids, "labels": ids.clone()}  # learnable: predict the tokens seen

    return ModelWorkload(model=model, make_batch=make_batch, loss=None, sample_unit="sequences",
                         batch_size=TEXT_BATCH, tokens_per_sample=seq_len, architecture=line)


def _image_workload(model: Any, cfg: Any, line: str) -> ModelWorkload:
    size = getattr(cfg, "image_size", 224)
    size = int(size[0] if isinstance(size, (tuple, list)) else size)
    channels = int(getattr(cfg, "num_channels", 3))
    classes = int(cfg.num_labels)

    def make_batch(device: torch.device, batch_size: int) -> dict[str, torch.Tensor]:
        return {"pixel_values": torch.randn(batch_size, channels, size, size, device=device),
                "labels": torch.randint(0, classes, (batch_size,), device=device)}

    return ModelWorkload(model=model, make_batch=make_batch, loss=None, sample_unit="images",
                         batch_size=IMAGE_BATCH, architecture=line)


def architecture(config: Any, model: Any, part: str = "") -> str:
    """``GPT2LMHeadModel: 6 layers, width 768, 12 heads of 64, feed-forward 3072, 81.9M parameters``."""
    params = sum(p.numel() for p in model.parameters())
    facts = []
    stages = getattr(config, "depths", None)
    stages = stages if isinstance(stages, (list, tuple)) and stages else None
    layers = "" if stages else _layers(config)  # a staged model's "layers" are its stages
    if layers:
        facts.append(layers)
    width = _int_attr(config, "embed_dim") if stages else _int_attr(config, "hidden_size", "d_model", "dim")
    if width:
        facts.append(f"width {width}")
    heads = _int_attr(config, "num_attention_heads", "n_head", "encoder_attention_heads")
    if heads:
        head_dim = _int_attr(config, "head_dim", "d_kv") or (width // heads if width else None)
        facts.append(f"{heads} heads of {head_dim}" if head_dim else f"{heads} heads")
    ffn = _int_attr(config, "intermediate_size", "ffn_dim", "d_ff", "encoder_ffn_dim", "n_inner") or (
        _int_attr(config, "hidden_dim") if heads else None)
    if ffn:
        facts.append(f"feed-forward {ffn}")
    if stages:
        facts.append(f"stages of {'-'.join(map(str, stages))} blocks")
    facts.append(f"{params / 1e6:.1f}M parameters")
    line = f"{type(model).__name__}: {', '.join(facts)}"
    return f"{line}; {part}" if part else line


def _layers(config: Any) -> str:
    enc = _int_attr(config, "encoder_layers")
    dec = _int_attr(config, "decoder_layers", "num_decoder_layers")
    if getattr(config, "is_encoder_decoder", False):
        enc = enc or _int_attr(config, "num_layers", "num_hidden_layers")
        dec = dec or enc
        if enc:
            return f"{enc} encoder + {dec} decoder layers"
    layers = _int_attr(config, "num_hidden_layers", "n_layer", "num_layers", "n_layers")
    return f"{layers} layer{'s' if layers != 1 else ''}" if layers else ""


def _int_attr(config: Any, *names: str) -> int | None:
    for name in names:
        try:
            value = getattr(config, name, None)
        except Exception:  # a config property that raises for this model type
            value = None
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def _part_trained(config: Any, task: str, auto_name: str) -> str:
    """Which part of a model of several towers trains ("" when the whole model does)."""
    model_type = getattr(config, "model_type", "model")
    if getattr(config, "is_encoder_decoder", False) and task == "causal-lm":
        return (f"trains the decoder of {model_type} only: its encoder is not built ({auto_name} is the "
                "language-model head transformers has for it)")
    if hasattr(config, "vision_config") and hasattr(config, "text_config"):
        tower = "vision" if task == "image-classification" else "text"
        other = "text" if tower == "vision" else "vision"
        return f"trains the {tower} tower of {model_type} only: its {other} tower is not built"
    return ""


def _task(config: Any) -> tuple[str, str]:
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
