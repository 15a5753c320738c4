"""The history's rows as Python values: the list row (``RunSummary``) and the row shapes the
recorder writes, read defensively: any stored value the window cannot show (wrong type, NaN,
a time of 1e300) becomes a default or n/a, and the row is reported damaged instead of raising."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from profiler.metrics.contention import BUSY_TAG, contention_of_dict
from profiler.results.spec import MAX_EPOCH_S

StepRow = tuple[int, str, float, float, int, "float | None"]  # step, stage, t_s, step_time_s, ...
TelemetryRow = tuple[float, str, float]  # t_s, key, value
NoticeRow = tuple[float, str, str]  # t_s, kind, message


@dataclass(frozen=True)
class RunSummary:
    """One row of the history list; figures are None (n/a) until the run finished."""

    run_id: str
    name: str
    status: str
    device: str
    workload: str
    created_at: float
    updated_at: float
    samples_per_s: float | None
    achieved_flops_per_s: float | None
    mfu: float | None
    samples_per_j: float | None
    energy_j: float | None
    world_size: int = 1  # ranks that trained together (spec.world_size; 1 before distributed runs)
    #: why the stored steps are fewer than the run measured; None when history kept them all
    incomplete: str | None = None
    #: the run's configuration, for History's config columns (from its spec and result)
    size: str = ""
    precision: str = ""
    batch_size: int | None = None
    knobs: str = ""
    threads: int | None = None
    origin: str = ""
    #: a user's own model: its reference (``RunSpec.model``; "" for a built-in workload)
    model: str = ""
    timed_steps: int = 0
    partial: str = ""
    #: measured on a busy machine: the contention warning (``metrics.contention``); "" when quiet
    busy: str = ""

    @property
    def status_text(self) -> str:
        """``completed``, ``completed · busy machine``, ``stopped · partial``, ``... · incomplete``."""
        return " · ".join([self.status, *(["partial"] if self.partial else []), *([BUSY_TAG] if self.busy else []),
                           *(["incomplete"] if self.incomplete else [])])


#: the spec's world size in SQL (runs stored before the field existed ran on one rank; a spec
#: that is not JSON, which no Horsepower writes, reads as one rank instead of failing the query)
WORLD_SIZE_SQL = "CASE WHEN json_valid(spec) THEN COALESCE(json_extract(spec, '$.world_size'), 1) ELSE 1 END"


def finite(value: Any) -> float | None:
    """``value`` as a float when it is a finite number, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def epoch_s(value: Any) -> float | None:
    """A stored time (s since 1970) that every formatter accepts, else None."""
    t = finite(value)
    return t if t is not None and 0.0 <= t <= MAX_EPOCH_S else None


def text_of(value: Any) -> str:
    """A stored text column as str ("" for NULL)."""
    return value if isinstance(value, str) else "" if value is None else str(value)


def summary_from_row(row: Sequence[Any]) -> tuple[RunSummary, str]:
    """A history list row from whatever is stored, and why it is damaged ("" when it is not): a
    value it cannot show is clamped (times to 0, figures to n/a)."""
    run_id, name, status, device, workload, created, updated, *figures, world_size, incomplete = row[:14]
    run_id = text_of(run_id)
    created_at, updated_at = epoch_s(created), epoch_s(updated)
    clean = [finite(v) for v in figures]
    damage = ""
    if created_at is None or updated_at is None or any(
            c is None and v is not None for c, v in zip(clean, figures, strict=True)):
        damage = "a stored time or figure is out of range; shown as 0 or n/a"
    spd, flops, mfu, spj, energy = clean
    ranks = world_size if isinstance(world_size, int) and world_size >= 1 else 1
    config = config_columns(row[14:], text_of(status), spd)
    summary = RunSummary(run_id, config.pop("name", None) or text_of(name), text_of(status), text_of(device),
                         text_of(workload), created_at or 0.0, updated_at or created_at or 0.0, spd, flops, mfu,
                         spj, energy, ranks, None if incomplete is None else text_of(incomplete), **config)
    return summary, damage


def result_field(name: str) -> str:
    """SQL for one field of the stored result JSON (NULL for a result that is not JSON)."""
    return f"CASE WHEN json_valid(result) THEN json_extract(result, '$.{name}') END"


def config_columns(extra: Sequence[Any], status: str, samples_per_s: float | None) -> dict[str, Any]:
    """The config columns of a ``list_runs`` row (spec JSON, result batch, steps, timed s, the
    others' CPU record and mean) and the name to show: the user's, else the automatic one that
    says what differs. Any value of the wrong type is left out (the defaults stay)."""
    from profiler.metrics.naming import auto_name
    from profiler.metrics.quality import partial_reason

    spec_json, batch, steps, timed_s, others_json, others_mean = (list(extra) + [None] * 6)[:6]
    try:
        spec = json.loads(spec_json) if isinstance(spec_json, str) else {}
    except ValueError:
        spec = {}
    spec = spec if isinstance(spec, dict) else {}
    steps = steps if isinstance(steps, int) and not isinstance(steps, bool) else 0
    raw_knobs = spec.get("knobs")
    knobs: dict[str, Any] = raw_knobs if isinstance(raw_knobs, dict) else {}
    out: dict[str, Any] = {
        "size": str(spec.get("size") or ""), "precision": str(spec.get("precision") or ""),
        "knobs": " ".join(f"{k}={v}" for k, v in sorted(knobs.items())),
        "origin": str(spec.get("origin") or ""), "timed_steps": steps, "model": str(spec.get("model") or ""),
        "partial": partial_reason({"status": status, "timed_steps": steps, "timed_s": finite(timed_s),
                                   "spec": spec, "samples_per_s": samples_per_s}),
        "busy": contention_of_dict({"others_cpu": _json_object(others_json),
                               "other_cpu_percent": finite(others_mean)}).warning() or "",
    }
    batch = batch if isinstance(batch, int) and not isinstance(batch, bool) and batch > 0 else spec.get("batch_size")
    out["batch_size"] = batch if isinstance(batch, int) and not isinstance(batch, bool) else None
    threads = spec.get("threads")
    out["threads"] = threads if isinstance(threads, int) and not isinstance(threads, bool) else None
    if spec:
        try:
            out["name"] = str(spec.get("name") or auto_name(spec))
        except (TypeError, ValueError, AttributeError):
            pass
    return out


def _json_object(text: Any) -> dict[str, Any] | None:
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def step_ok(row: Sequence[Any]) -> bool:
    step, stage, t_s, step_time_s, samples, loss = row
    return (isinstance(step, int) and isinstance(stage, str) and isinstance(samples, int)
            and finite(t_s) is not None and finite(step_time_s) is not None
            and (loss is None or finite(loss) is not None))
