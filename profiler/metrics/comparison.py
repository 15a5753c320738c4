"""When is a speedup honest? Comparability of two runs and the speedup between them.

A run's identity is its model (workload, size, knobs, a user's file) and every setting that
changes its speed: batch, precision, channels-last, compile, input pipeline, loader workers and
pin memory (input-pipeline runs; pinning only on an accelerator), CPU threads, ranks and data
parallelism, and the device. A speedup is shown only between runs of the same model with the
same settings on different devices (kind ``device``), or with exactly one setting different on
the same device (kind ``settings``, named: "2 loader workers: 2.29x faster than 0").
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
SETTING_SPEC_KEYS = (("batch_size", "batch"), ("precision", ""), ("channels_last", "channels_last"),
                     ("compile", "compile"), ("input_pipeline", "input pipeline"),
                     ("loader_workers", "loader workers"), ("pin_memory", "pin memory"),
                     ("loader_delay_ms", "loader delay"), ("allocator", "allocator"),
                     ("world_size", "ranks"), ("strategy", ""))
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
    #: for a settings speedup: this run's value of the one setting that differs, and the
    #: baseline's, as words ("2 loader workers", "0")
    this: str = ""
    that: str = ""
    #: a repeat's signed difference from the baseline, (run - baseline) / baseline
    difference: float | None = None

    @property
    def comparable(self) -> bool:
        return self.kind in (DEVICE, SETTINGS)

    @property
    def sentence(self) -> str:
        """The speedup in words: ``2 loader workers: 2.29x faster than 0``, ``cuda:0: 4.00x
        faster than cpu``; for a repeat ``repeat: +7.4% (run-to-run spread)``; else the reason."""
        if self.value is not None and self.comparable:
            faster = self.value >= 1.0
            factor = self.value if faster else 1.0 / self.value
            this = self.this or self.label
            return f"{this}: {factor:.2f}x {'faster' if faster else 'slower'} than {self.that}".strip()
        if self.kind == REPEAT and self.difference is not None:
            return f"repeat: {self.difference * 100:+.1f}% (run-to-run spread, not a speedup)"
        return self.reason


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
    if name == "batch_size":
        return run.get("batch_size") or spec.get("batch_size") or None
    if name == "loader_delay_ms":
        return float(value or 0.0) if spec.get("input_pipeline") else None
    if name == "allocator":
        return str(value or "")
    if name in ("loader_workers", "pin_memory"):
        if not spec.get("input_pipeline"):
            return None  # no DataLoader: its settings change nothing
        if name == "pin_memory" and str(_field(run, "device") or "cpu") == "cpu":
            return None  # pinning is skipped for a CPU model (profiler.workloads.pipeline)
        return value if value is not None else (2 if name == "loader_workers" else True)
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
    return ""


def _show(name: str, value: Any, label: str) -> str:
    if isinstance(value, bool):
        return f"{label} {'on' if value else 'off'}"
    if name == "threads":
        return "all cores" if value is None else f"{value} thread{'s' if value != 1 else ''}"
    if name == "world_size":
        return f"{value} rank{'s' if value != 1 else ''}"
    if name == "batch_size":
        return f"batch {value}"
    if name == "loader_workers":
        return f"{value} loader worker{'s' if value != 1 else ''}"
    if name == "loader_delay_ms":
        return f"loader delay {value:g} ms/sample"
    if name == "allocator":
        return f"allocator {value or 'default'}"
    return f"{value} {label}".strip()


def _short(name: str, value: Any, label: str, other: Any) -> str:
    """The baseline's side of a one-setting speedup, without repeating the unit when both
    sides share it: "0" (loader workers), "fp32", "1 thread", "off"."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if name in ("loader_workers", "batch_size", "world_size") and value is not None:
        return str(value)
    if name == "loader_delay_ms" and value is not None:
        return f"{value:g} ms"
    if name == "allocator":
        return str(value or "default")
    if name == "threads" and value is not None and other is not None:
        return str(value)
    return _show(name, value, label)


def _setting_differences(run: Mapping[str, Any], base: Mapping[str, Any],
                         same_device: bool) -> list[tuple[str, str, str]]:
    """(``a vs b`` words, this run's side, the baseline's side) per setting that differs."""
    keys = SETTING_SPEC_KEYS + (CPU_ONLY_SETTINGS if same_device and run.get("device") == "cpu" else ())
    diffs = []
    for name, label in keys:
        a, b = _field(run, name), _field(base, name)
        if name == "strategy" and (a is None or b is None):
            continue  # one rank has no data parallelism to differ in: the ranks say it
        if name in ("loader_workers", "pin_memory", "loader_delay_ms") and (a is None or b is None):
            continue  # only one side has a DataLoader: the input pipeline setting says it
        if a != b:
            this = _show(name, a, label)
            diffs.append((f"{this} vs {_show(name, b, label)}", this, _short(name, b, label, a)))
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
    words = [d[0] for d in diffs]
    if same_device and not diffs:
        return Speedup(REPEAT, label="repeat", spread=abs(a - b) / ((a + b) / 2), difference=a / b - 1.0,
                       reason="same workload, settings and device: run-to-run spread, not a speedup")
    if same_device and len(diffs) == 1:
        return Speedup(SETTINGS, a / b, label=f"{words[0]} on {run.get('device')}",
                       this=diffs[0][1], that=diffs[0][2])
    if same_device:
        return Speedup(NONE, reason=f"not comparable: {len(diffs)} settings differ ({'; '.join(words)}); "
                       "change one thing at a time")
    if diffs:
        return Speedup(NONE, reason=f"not comparable: different devices and different settings "
                       f"({'; '.join(words)}); change one thing at a time")
    return Speedup(DEVICE, a / b, label=f"vs {device_label(baseline)}",
                   this=device_label(run), that=device_label(baseline))


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
