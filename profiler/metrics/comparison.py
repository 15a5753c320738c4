"""When is a speedup honest? Comparability of two runs and the speedup between them.

A speedup is shown only between runs of the same model (workload, size, knobs, batch) with
the same settings on different devices (kind ``device``), or with different settings on
the same device (kind ``settings``, labelled with what differs, e.g. "bf16 vs fp32").
Two runs of the same thing on the same device are a ``repeat``: they show their
run-to-run spread, not a speedup. Anything else is ``none``, with the reason in words.
Runs are result dicts (``RunResult.to_dict``, a stored or an imported run). The ranks of a
distributed run (``world_size``) and its data parallelism (``ddp``/``fsdp``) are settings.
A run measured on a busy machine (``metrics.contention``) has no speedup either way: its
figures measure the other processes as much as the hardware.

A user's own model (workload ``user``) is the same model when its knobs match and its
reference does: for a file, the same bytes (``model_hash``) and factory, wherever the file
lives; for a library name, the same name. Size presets do not apply to it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from profiler import units
from profiler.metrics.contention import BUSY_TAG, contention_of_dict

DEVICE, SETTINGS, REPEAT, NONE = "device", "settings", "repeat", "none"
UNUSABLE_STATES = frozenset({"failed", "oom", "interrupted", "pending"})
USER_WORKLOAD = "user"  # profiler.results.model_ref.USER_WORKLOAD (results sits above metrics)

#: spec fields that change what is computed (a different model), beyond workload and size
MODEL_SPEC_KEYS = ("knobs", "model", "model_hash")
#: spec fields that change how the same model is run: (field, label of the setting)
SETTING_SPEC_KEYS = (("precision", ""), ("channels_last", "channels_last"), ("compile", "compile"),
                     ("input_pipeline", "input pipeline"), ("world_size", "ranks"), ("strategy", ""))
CPU_ONLY_SETTINGS = (("threads", "threads"),)


@dataclass(frozen=True)
class Speedup:
    """``value`` = run's samples/s over the baseline's (None unless kind is device/settings).

    ``label`` says what is compared ("vs cpu", "bf16 vs fp32"); ``reason`` says why there is
    no speedup; ``spread`` is the relative difference of two repeats (|a - b| / mean).
    """

    kind: str
    value: float | None = None
    label: str = ""
    reason: str = ""
    spread: float | None = None

    @property
    def comparable(self) -> bool:
        return self.kind in (DEVICE, SETTINGS)


def _spec(run: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = run.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _field(run: Mapping[str, Any], name: str) -> Any:
    spec = _spec(run)
    if name in ("precision", "workload", "size", "device") and run.get(name) is not None:
        return run.get(name)
    value = spec.get(name)
    if name == "knobs":
        return dict(value or {})
    if name == "world_size":
        return value or 1
    if name == "strategy":  # data parallelism of a distributed run (its ``distributed`` section)
        section = run.get("distributed")
        return section.get("strategy") if isinstance(section, Mapping) and _field(run, "world_size") > 1 else None
    return value


def model_title(run: Mapping[str, Any]) -> str:
    """``mlp-S`` or ``hf:gpt2`` / ``model.py:build`` (plus knob overrides): the model part of
    a run's identity."""
    knobs = _field(run, "knobs")
    extra = "".join(f" {k}={v}" for k, v in sorted(knobs.items()))
    if _field(run, "workload") == USER_WORKLOAD:
        return f"{_short_model(str(_field(run, 'model') or ''))}{extra}"
    return f"{_field(run, 'workload')}-{_field(run, 'size')}{extra}"


def _short_model(model: str) -> str:
    """A file reference without its folder (``/home/me/model.py:build`` -> ``model.py:build``)."""
    target, sep, factory = model.rpartition(":")
    if sep and factory.isidentifier() and target.endswith(".py"):
        return f"{os.path.basename(target)}:{factory}"
    return model


def model_identity(run: Mapping[str, Any]) -> tuple[str, str]:
    """What makes a user's model the same model: (file sha256, factory) for a file-based one,
    (reference, "") for a library name."""
    model = str(_field(run, "model") or "")
    digest = str(_field(run, "model_hash") or "")
    if digest:
        factory = model.rpartition(":")[2]
        return digest, factory if factory.isidentifier() else ""
    return model, ""


def device_identity(run: Mapping[str, Any]) -> tuple[str, str, str]:
    """(device id, device name, host) — two runs on the same physical device share it. A run
    that does not say its host (a live run) is on this one."""
    info = run.get("device_info")
    env = run.get("environment")
    info = info if isinstance(info, Mapping) else {}
    env = env if isinstance(env, Mapping) else {}
    host = str(env.get("hostname") or "") or socket.gethostname()
    return (str(run.get("device") or ""), str(info.get("name") or ""), host)


def device_label(run: Mapping[str, Any]) -> str:
    device, name, _host = device_identity(run)
    return device if not name or name == device else f"{device} ({name})"


def _model_difference(run: Mapping[str, Any], base: Mapping[str, Any]) -> str:
    if _field(run, "workload") != _field(base, "workload"):
        return f"different workloads ({_field(run, 'workload')} vs {_field(base, 'workload')})"
    if _field(run, "workload") == USER_WORKLOAD:
        same = model_identity(run) == model_identity(base) and _field(run, "knobs") == _field(base, "knobs")
    else:
        same = all(_field(run, name) == _field(base, name) for name in ("size", *MODEL_SPEC_KEYS))
    if not same:
        return f"different models ({model_title(run)} vs {model_title(base)})"
    if (run.get("batch_size") or None) != (base.get("batch_size") or None):
        return f"different batch sizes ({run.get('batch_size')} vs {base.get('batch_size')})"
    return ""


def _show(name: str, value: Any, label: str) -> str:
    if isinstance(value, bool):
        return f"{label} {'on' if value else 'off'}"
    if name == "threads":
        return "all cores" if value is None else f"{value} thread{'s' if value != 1 else ''}"
    if name == "world_size":
        return f"{value} rank{'s' if value != 1 else ''}"
    return f"{value} {label}".strip()


def _setting_differences(run: Mapping[str, Any], base: Mapping[str, Any], same_device: bool) -> list[str]:
    keys = SETTING_SPEC_KEYS + (CPU_ONLY_SETTINGS if same_device and run.get("device") == "cpu" else ())
    diffs = []
    for name, label in keys:
        a, b = _field(run, name), _field(base, name)
        if name == "strategy" and (a is None or b is None):
            continue  # one rank has no data parallelism to differ in: the ranks say it
        if a != b:
            diffs.append(f"{_show(name, a, label)} vs {_show(name, b, label)}")
    return diffs


def speedup(run: Mapping[str, Any], baseline: Mapping[str, Any]) -> Speedup:
    """How ``run`` compares with ``baseline`` (see the module doc)."""
    for who, r in (("this run", run), ("the baseline", baseline)):
        status = str(r.get("status") or "")
        if status in UNUSABLE_STATES:
            return Speedup(NONE, reason=f"{who} {status}: a speedup needs a run that measured its steps")
        if not r.get("samples_per_s"):
            return Speedup(NONE, reason=f"{who} measured no timed steps")
    if run.get("run_id") is not None and run.get("run_id") == baseline.get("run_id"):
        return Speedup(NONE, label="baseline", reason="this is the baseline")
    for who, r in (("this run", run), ("the baseline", baseline)):
        busy = contention_of_dict(r)
        if busy.contended:
            return Speedup(NONE, reason=f"{who} was measured on a {BUSY_TAG} (other processes used a median "
                                        f"{units.pct(busy.others_median_percent)} of the CPU): no speedup")
    model = _model_difference(run, baseline)
    if model:
        return Speedup(NONE, reason=f"not comparable: {model}")
    a, b = float(run["samples_per_s"]), float(baseline["samples_per_s"])
    same_device = device_identity(run) == device_identity(baseline)
    diffs = _setting_differences(run, baseline, same_device)
    if same_device and not diffs:
        return Speedup(REPEAT, label="repeat", spread=abs(a - b) / ((a + b) / 2),
                       reason="same workload, settings and device: run-to-run spread, not a speedup")
    if same_device:
        return Speedup(SETTINGS, a / b, label=", ".join(diffs) + f" on {run.get('device')}")
    if diffs:
        return Speedup(NONE, reason=f"not comparable: different devices and different settings "
                       f"({'; '.join(diffs)}); change one thing at a time")
    return Speedup(DEVICE, a / b, label=f"vs {device_label(baseline)}")


def device_baseline(run: Mapping[str, Any], candidates: Iterable[Mapping[str, Any]],
                    device: str = "cpu") -> Mapping[str, Any] | None:
    """The fastest candidate on ``device`` that ``run`` has a device speedup against."""
    best: Mapping[str, Any] | None = None
    for cand in candidates:
        if cand.get("device") != device or speedup(run, cand).kind != DEVICE:
            continue
        if best is None or float(cand["samples_per_s"]) > float(best["samples_per_s"]):
            best = cand
    return best
