"""Run names a person can tell apart: what was run, how, where, and why.

An automatic name carries every spec field that makes a run differ from the preset run:
knob overrides, an explicit batch, the precision, settings that are on (channels-last,
compile), the input pipeline with its loader workers (and pinning off on an accelerator), an
explicit CPU thread count, the device, and the run's origin (a sweep point, a presentation
loop, a re-run): ``mlp-S width=256 bs128 bf16 1 thread on cpu · sweep``, ``mlp-S fp32 loader
2 workers on cpu``. A name the user gave wins. ``distinct_labels`` makes the labels of a set of runs
unique (legends, bars, baseline pickers) by adding when each started.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

#: why a run was started; "" is a run the user started by hand
ORIGINS = ("", "sweep", "demo", "re-run")
ORIGIN_WORDS = {"sweep": "sweep", "demo": "presentation", "re-run": "re-run"}
#: boolean settings shown in a name when on: (spec field, word)
FLAG_WORDS = (("channels_last", "channels-last"), ("compile", "compiled"))
#: loader workers of a run spec that does not say (``RunSpec.loader_workers``' default)
DEFAULT_LOADER_WORKERS = 2


def part(run: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """``run[key]`` when it is a mapping (a result's ``spec``, ``device_info``...), else {}."""
    value = run.get(key)
    return value if isinstance(value, Mapping) else {}


USER_WORKLOAD = "user"  # profiler.results.model_ref.USER_WORKLOAD: a user's own model


def model_part(spec: Mapping[str, Any]) -> str:
    """``mlp-S`` plus knob overrides in name order: ``mlp-S width=256 depth=2``; a user's model
    by its label (``gpt2 (hf)``; ``model_label`` when the caller has it, else its reference)."""
    label = spec.get("model_label")
    if not label:
        if spec.get("workload") == USER_WORKLOAD and spec.get("model"):
            label = str(spec["model"])
        else:
            label = f"{spec.get('workload') or '?'}-{spec.get('size') or 'S'}"
    knobs = spec.get("knobs") or {}
    extra = "".join(f" {k}={v}" for k, v in sorted(dict(knobs).items()))
    return f"{label}{extra}"


def settings_part(spec: Mapping[str, Any]) -> str:
    """``bs128 bf16 compiled 1 thread``: the batch (when set), precision, flags, threads (a
    distributed run's ranks follow the device in ``auto_name``)."""
    parts = []
    if spec.get("batch_size"):
        parts.append(f"bs{spec['batch_size']}")
    parts.append(str(spec.get("precision") or "fp32"))
    parts += [word for name, word in FLAG_WORDS if spec.get(name)]
    if spec.get("input_pipeline"):
        parts.append(loader_words(spec))
    if spec.get("allocator"):
        parts.append(f"{spec['allocator']} allocator")
    threads = spec.get("threads")
    if threads:
        parts.append(f"{threads} thread{'s' if threads != 1 else ''}")
    return " ".join(parts)


def loader_words(spec: Mapping[str, Any]) -> str:
    """``loader 2 workers``, ``loader 0 workers``; ``, no pinning`` on an accelerator without it."""
    workers = spec.get("loader_workers")
    workers = DEFAULT_LOADER_WORKERS if workers is None else workers
    text = f"loader {workers} worker{'s' if workers != 1 else ''}"
    if spec.get("pin_memory") is False and str(spec.get("device") or "cpu") != "cpu":
        text += " no pinning"
    delay = spec.get("loader_delay_ms")
    if isinstance(delay, (int, float)) and not isinstance(delay, bool) and delay > 0:
        text += f" +{delay:g} ms/sample"
    return text


def auto_name(spec: Mapping[str, Any]) -> str:
    """The automatic name of a run spec (``RunSpec.to_dict()`` or any dict with its fields)."""
    world = spec.get("world_size")
    ranks = f" x{world} ranks" if isinstance(world, int) and not isinstance(world, bool) and world > 1 else ""
    name = f"{model_part(spec)} {settings_part(spec)} on {spec.get('device') or 'cpu'}{ranks}"
    origin = ORIGIN_WORDS.get(str(spec.get("origin") or ""), "")
    return f"{name} · {origin}" if origin else name


def run_label(run: Mapping[str, Any]) -> str:
    """The name a result dict shows: the user's or stored name, else the automatic one."""
    spec = run.get("spec")
    if isinstance(spec, Mapping) and spec:
        return str(spec.get("name") or auto_name(spec))
    return str(run.get("name") or run.get("run_id") or "?")


def origin_of(run: Mapping[str, Any]) -> str:
    """The origin of a result or spec dict ("" for a run started by hand)."""
    spec = run.get("spec")
    spec = spec if isinstance(spec, Mapping) else run
    return str(spec.get("origin") or "")


def _when(run: Mapping[str, Any]) -> str:
    started = run.get("started_at")
    if isinstance(started, (int, float)) and started > 0:
        return time.strftime("%H:%M:%S", time.localtime(started))
    return ""


def distinct_labels(runs: Sequence[Mapping[str, Any]]) -> list[str]:
    """One label per run, unique within ``runs``: a repeated name gets its start time, and
    a number when even that repeats (``… · 09:47:07``, ``… #2``)."""
    labels = [run_label(r) for r in runs]
    for label in set(labels):
        same = [i for i, text in enumerate(labels) if text == label]
        if len(same) < 2:
            continue
        for i in same:
            when = _when(runs[i])
            labels[i] = f"{label} · {when}" if when else label
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} #{seen[label]}")
    return out
