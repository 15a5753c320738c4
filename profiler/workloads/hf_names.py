"""What an ``hf:NAME`` names: a model type and the config values to build it with, offline.

``recipe(transformers, name)`` answers a ``Recipe`` (model type, config keyword arguments,
where they came from), trying in order: a path to a ``config.json`` (or a folder holding one);
a checkpoint already in the local Hugging Face cache (its real config); a well-known
checkpoint of ``resources/hf_checkpoints.json`` (its model card's config.json values, source
cited per row: ``distilgpt2``, ``facebook/opt-125m``, ``EleutherAI/pythia-70m``, ``t5-small``,
``microsoft/swin-tiny-patch4-window7-224``...); a model type transformers knows (``gpt2``,
``llama``: its defaults); a checkpoint a config class documents as its default. Anything
else is a ``WorkloadError`` with close matches by family and size (``pythia-1b`` ->
the Pythia rows nearest a billion parameters). Nothing here downloads. Call in a worker or a
model-check process (it imports transformers).
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from profiler.workloads.protocol import WorkloadError

TABLE_FILE = "hf_checkpoints.json"
DOCUMENTED = re.compile(r"configuration to that of the \[([^\]]+)\]")
_SIZE = re.compile(r"(\d+(?:\.\d+)?)([kmb])\b", re.IGNORECASE)
_SCALE = {"k": 1e3, "m": 1e6, "b": 1e9}


@dataclass(frozen=True)
class Recipe:
    """How to build a config: ``AutoConfig.for_model(model_type, **kwargs, **knobs)``, so fields
    derived from others (Llama's ``head_dim``) follow the knobs. ``origin`` says where the values
    came from (a file, the cache, the table row's source, the library's defaults)."""

    model_type: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    origin: str = ""


@dataclass(frozen=True)
class Checkpoint:
    """A row of the offline table: model type, config values, their source, published size."""

    name: str
    model_type: str
    config: dict[str, Any]
    source: str
    published_params: str


def _read_table() -> str:
    """The table's text through importlib.resources (wheels, frozen apps), else the folder."""
    from importlib import resources

    try:
        return resources.files("resources").joinpath(TABLE_FILE).read_text(encoding="utf-8")
    except (OSError, TypeError):
        import resources as package

        for entry in getattr(package, "__path__", []):
            candidate = os.path.join(entry, TABLE_FILE)
            if os.path.isfile(candidate):
                with open(candidate, encoding="utf-8") as fh:
                    return fh.read()
        raise


@lru_cache(maxsize=1)
def checkpoints() -> dict[str, Checkpoint]:
    """The offline table, by full name (``facebook/opt-125m``) and by short name (``opt-125m``)."""
    rows = json.loads(_read_table())["checkpoints"]
    table: dict[str, Checkpoint] = {}
    for name, row in rows.items():
        entry = Checkpoint(name, str(row["model_type"]), dict(row["config"]), str(row["source"]),
                           str(row.get("published_params", "")))
        table.setdefault(name, entry)
        table.setdefault(name.split("/")[-1], entry)
    return table


def recipe(transformers: Any, name: str) -> Recipe:
    """The recipe ``hf:name`` builds (``WorkloadError`` naming close matches when none)."""
    if os.path.isabs(name):
        return _from_path(name)
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    cached = _from_cache(transformers, name)
    if cached is not None:
        return cached
    row = checkpoints().get(name) or checkpoints().get(name.split("/")[-1])
    if row is not None:
        return Recipe(row.model_type, dict(row.config), f"{row.name}'s config.json ({row.source})")
    if name in CONFIG_MAPPING_NAMES:
        return Recipe(name, {}, f"transformers' default {name} config")
    documented = documented_checkpoints()
    match = documented.get(name) or documented.get(name.split("/")[-1])
    if match:
        return Recipe(match, {}, f"transformers' default {match} config, documented as {name}'s architecture")
    raise WorkloadError(f"unknown hf model {name!r}: not a model type transformers knows, not a checkpoint in "
                        f"Horsepower's offline table or the local cache{_close_hint(name, CONFIG_MAPPING_NAMES)} "
                        "(or give its config: hf:path/to/config.json)")


def _from_path(path: str) -> Recipe:
    file = os.path.join(path, "config.json") if os.path.isdir(path) else path
    try:
        with open(file, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise WorkloadError(f"cannot read the config {file}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("model_type"), str):
        raise WorkloadError(f"{file} is not a transformers config: it needs a \"model_type\" (e.g. \"gpt2\")")
    model_type = data.pop("model_type")
    return Recipe(model_type, data, file)


def _from_cache(transformers: Any, name: str) -> Recipe | None:
    """A checkpoint's real config when it is in the local cache (never downloaded)."""
    try:
        data, _ = transformers.PretrainedConfig.get_config_dict(name, local_files_only=True)
    except (OSError, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("model_type"), str):
        return None
    data = dict(data)
    return Recipe(data.pop("model_type"), data, f"{name}'s config.json in the local cache")


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


def family(name: str) -> str:
    """``EleutherAI/pythia-1b-deduped`` -> ``pythia``; ``gpt2-xl`` -> ``gpt2``."""
    return re.split(r"[-_]", name.split("/")[-1].lower(), maxsplit=1)[0]


def size_of(text: str) -> float | None:
    """Parameters a name or a count states (``pythia-70m`` -> 7e7, ``1.3b`` -> 1.3e9), else None."""
    match = _SIZE.search(text.split("/")[-1])
    return float(match.group(1)) * _SCALE[match.group(2).lower()] if match else None


def close_matches(name: str, model_types: Any = ()) -> list[str]:
    """Table rows of the same family nearest in size, then names that merely look alike."""
    rows = {c.name: c for c in checkpoints().values()}
    want = size_of(name)
    same = [c for c in rows.values() if family(c.name) == family(name)]

    def distance(c: Checkpoint) -> float:
        have = size_of(c.published_params) or size_of(c.name)
        return abs(math.log(have / want)) if want and have else 0.0

    found = [f"{c.name} ({c.published_params})" for c in sorted(same, key=distance)[:3]]
    names = list(dict.fromkeys([*rows, *model_types, *documented_checkpoints()]))
    for other in difflib.get_close_matches(name, names, n=5, cutoff=0.6):
        label = f"{other} ({rows[other].published_params})" if other in rows else other
        if label not in found and len(found) < 5:
            found.append(label)
    return found


def _close_hint(name: str, model_types: Any) -> str:
    found = close_matches(name, model_types)
    return f"; close matches: {', '.join(found)}" if found else ""
