"""A run's model in plain words for an audience: "a small GPT-style transformer (4 layers)".

Presentation headlines say what was trained without the house's names (``mlp-S``,
``gpt-M width=256``). A built-in workload is described by its own module (``plain_name``,
``plain_detail`` of ``profiler.workloads``; its knobs resolved from the size and overrides);
a user's model by its label and, for a library model, the architecture line the run stored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from profiler.metrics.naming import model_part, part
from profiler.results.model_ref import LIBRARY, USER_WORKLOAD, ModelRefError, parse_model_ref

log = logging.getLogger(__name__)

SIZE_WORDS = {"S": "small", "M": "medium-sized", "L": "large"}
LIBRARY_WORDS = {"hf": "Hugging Face", "timm": "timm", "torchvision": "torchvision"}


def article(phrase: str) -> str:
    """``a`` or ``an`` before ``phrase`` (by sound: "an LSTM", "a ResNet", "an image")."""
    first = phrase.split(" ", 1)[0]
    if first.isupper() and len(first) > 1:  # an acronym is read letter by letter
        return "an" if first[0] in "AEFHILMNORSX" else "a"
    return "an" if first[:1].lower() in "aeiou" else "a"


def _builtin(spec: Mapping[str, Any]) -> str:
    from profiler.workloads import WorkloadError, get_workload  # torch: only when a headline is made

    name, size = str(spec.get("workload") or ""), str(spec.get("size") or "S")
    overrides = dict(spec.get("knobs") or {})
    try:
        workload = get_workload(name)
        knobs = workload.resolve_knobs(size, overrides)
        detail = workload.plain_detail(knobs)
    except (WorkloadError, KeyError, TypeError, ValueError) as exc:
        log.debug("no plain words for %s: %s", model_part(spec), exc)
        return model_part(spec)
    if not workload.plain_name:
        return model_part(spec)
    phrase = workload.plain_name if overrides else f"{SIZE_WORDS.get(size, '')} {workload.plain_name}".strip()
    return f"{article(phrase)} {phrase}" + (f" ({detail})" if detail else "")


def _user(spec: Mapping[str, Any], architecture: str) -> str:
    try:
        ref = parse_model_ref(str(spec.get("model") or ""))
    except ModelRefError:
        return f"your model {model_part(spec)}"
    built = architecture.split(";", 1)[0]
    kind, _, facts = built.partition(": ")
    first = facts.split(", ", 1)[0] if facts else ""
    shown = ", ".join(x for x in (kind.strip(), first.strip()) if x)
    if ref.kind == LIBRARY:
        name = ref.label.rsplit(" (", 1)[0]
        library = LIBRARY_WORDS.get(ref.library, ref.library)
        return f"{name} from {library}" + (f" ({shown})" if shown else "")
    return f"your model {ref.label}" + (f" ({shown})" if shown else "")


def model_words(run: Mapping[str, Any]) -> str:
    """The model of ``run`` (a result or spec dict) in plain words; its house name when no
    description is known (an unknown workload is never guessed at)."""
    spec = part(run, "spec") or run
    if spec.get("workload") == USER_WORKLOAD:
        return _user(spec, str(run.get("architecture") or ""))
    return _builtin(spec)
