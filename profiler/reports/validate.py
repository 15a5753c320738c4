"""Strict validation of a run file before import: anything unexpected is rejected.

Accepts the export envelope (``{"format": "horsepower-run", "schema": 2, "run": {...},
"series": {...}}``; schema 1, whose steps called their stage "phase", is read too) or a bare
result dict (``horsepower run --json``). Errors are ``ImportRejected`` with a one-line message
naming what is wrong.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Any

from profiler.history.series import STEP_COLUMNS, upgrade_series
from profiler.metrics.phases import PhaseRecord
from profiler.results.model_ref import USER_WORKLOAD
from profiler.results.result import LEGACY_KEYS, RunResult, RunState
from profiler.results.result import SCHEMA as RESULT_SCHEMA
from profiler.results.spec import MAX_DURATION_S, MAX_EPOCH_S, MAX_NAME_CHARS, RunSpec

FORMAT = "horsepower-run"
#: of the export envelope; 2: ``series.steps.stage`` (schema 1 called it ``phase``)
SCHEMA = 2
ENVELOPE_SCHEMAS = (1, SCHEMA)
#: 1: telemetry keys before the one key scheme; 1-2: the in-process probe as "peak" (both rewritten
#: on import), no distributed section
RESULT_SCHEMAS = (1, 2, RESULT_SCHEMA)
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_DEPTH = 8
MAX_TEXT = 10_000
MAX_DETAILS = 250_000  # error_details: a full traceback or a dead worker's stack dump
MAX_ITEMS = 2_000_000
MAX_KEYS = 1_000
MAX_INT = 2**63 - 1  # SQLite's INTEGER; a larger number anywhere in a file is refused
MAX_COUNT = 2**53  # counts and sizes (steps, samples, parameters): exact in a float
MAX_SECONDS = 1e8  # any duration or offset in seconds (about 3 years)
MAX_FIGURE = 1e30  # rates, FLOPs, energy
MAX_LOSS = 3.5e38  # a finite loss comes from a float32 (or narrower) tensor: |x| < 3.4e38
MAX_RATIO = 1e6  # MFU and other fractions (CPU MFU against a torch.mm peak can pass 100%)
MAX_LABEL = 200  # device, workload, size, precision, status
TIME, COUNT, SECONDS, FIGURE, LOSS, RATIO = ((0.0, MAX_EPOCH_S), (0, MAX_COUNT), (0.0, MAX_SECONDS),
                                             (0.0, MAX_FIGURE), (-MAX_LOSS, MAX_LOSS), (0.0, MAX_RATIO))
#: the range of every number a result may carry; a number not listed is within +-MAX_FIGURE
RESULT_RANGES: dict[str, tuple[float, float]] = {
    "started_at": TIME, "ended_at": TIME,
    "batch_size": COUNT, "samples_per_step": COUNT, "params": COUNT, "timed_steps": COUNT,
    "warmup_steps": COUNT,
    "flops_per_step": FIGURE, "samples_per_s": FIGURE, "achieved_flops_per_s": FIGURE,
    "peak_flops_per_s": FIGURE, "datasheet_peak_flops_per_s": FIGURE, "energy_j": FIGURE,
    "samples_per_j": FIGURE,
    "mfu": RATIO, "mfu_datasheet": RATIO, "input_wait_fraction": RATIO,
    "timed_s": SECONDS, "warmup_s": SECONDS, "compile_s": SECONDS, "input_wait_s": SECONDS,
    "loss_first": LOSS, "loss_last": LOSS,
}
SPEC_RANGES: dict[str, tuple[float, float]] = {
    "batch_size": (1, MAX_COUNT), "duration_s": (1e-9, MAX_DURATION_S), "steps": (1, MAX_COUNT),
    "warmup_max_steps": COUNT, "warmup_max_s": SECONDS, "threads": (1, 1_000_000),
    "loader_workers": (0, 1_000_000), "loader_delay_ms": (0, 1000.0), "sample_hz": (1e-9, 100.0),
    "seed": (-MAX_INT, MAX_INT),
}
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$")
STATES = {RunState.PENDING, RunState.PREPARING, RunState.WARMING, RunState.MEASURING,
          *RunState.FINAL}

NUM, INT, TEXT, OBJ, LIST = "number", "integer", "text", "object", "list"
RESULT_KEYS: dict[str, tuple[str, bool]] = {  # key -> (kind, may be null)
    "schema": (INT, False), "run_id": (TEXT, False), "name": (TEXT, True),
    "status": (TEXT, False), "device": (TEXT, False), "workload": (TEXT, False),
    "spec": (OBJ, False), "step_times_s": (LIST, False),
    "device_info": (OBJ, True), "size": (TEXT, True), "precision": (TEXT, True),
    "batch_size": (INT, True), "samples_per_step": (INT, True), "params": (INT, True),
    "flops_per_step": (NUM, True), "flop_coverage": (OBJ, True), "samples_per_s": (NUM, True),
    "achieved_flops_per_s": (NUM, True), "peak_flops_per_s": (NUM, True),
    "peak_source": (TEXT, True), "peak_inputs": (OBJ, True), "mfu": (NUM, True),
    "ceiling_flops_per_s": (NUM, True), "ceiling_source": (TEXT, True), "ceiling_inputs": (OBJ, True),
    "mfu_ceiling": (NUM, True), "host_cpu_percent": (NUM, True), "run_cpu_percent": (NUM, True),
    "other_cpu_percent": (NUM, True), "others_cpu": (OBJ, True), "contention": (OBJ, True),
    "energy_j": (NUM, True),
    "samples_per_j": (NUM, True), "step_time_s": (OBJ, True), "losses": (LIST, True),
    "loss_first": (NUM, True), "loss_last": (NUM, True), "timed_steps": (INT, True),
    "timed_s": (NUM, True), "warmup_steps": (INT, True), "warmup_s": (NUM, True),
    "compile_s": (NUM, True), "telemetry": (OBJ, True), "warnings": (LIST, True),
    "notices": (LIST, True), "error": (TEXT, True), "advice": (TEXT, True),
    "started_at": (NUM, True), "ended_at": (NUM, True), "environment": (OBJ, True),
    "phases": (OBJ, True), "verdict": (OBJ, True), "trace": (OBJ, True),
    "error_details": (TEXT, True), "sample_unit": (TEXT, True), "tokens_per_sample": (INT, True),
    "tokens_per_s": (NUM, True), "architecture": (TEXT, True), "loss_source": (TEXT, True),
    "distributed": (OBJ, True),
}
#: keys only schema 1/2 results have (``RunResult.from_dict`` migrates them)
LEGACY_RESULT_KEYS: dict[str, tuple[str, bool]] = {
    k: ((TEXT, True) if k.endswith("_source") else (NUM, True)) for k in LEGACY_KEYS
}
SCALAR = "number or text"
REQUIRED = ("schema", "run_id", "status", "device", "workload", "spec", "step_times_s")


class ImportRejected(ValueError):
    """The file is not an acceptable run; the message is one line for a user."""


def known_keys() -> dict[str, tuple[str, bool]]:
    """Every key ``RunResult.to_dict`` writes; keys missing from the table are nullable scalars."""
    keys = RunResult(spec=RunSpec(workload="x")).to_dict()
    return {k: RESULT_KEYS.get(k, (SCALAR, True)) for k in keys}


def _is(kind: str, value: Any) -> bool:
    if kind == SCALAR:
        return isinstance(value, (str, int, float))
    if kind == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == NUM:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, {TEXT: str, OBJ: dict, LIST: list}[kind])


def _reject_constant(name: str) -> None:
    raise ImportRejected(f"{name} is not allowed in a run file (numbers must be finite)")


def _check_tree(data: Any) -> None:
    """Depth, sizes, string lengths and finiteness of every value (iterative walk)."""
    stack = [(data, 1, "$")]
    while stack:
        value, depth, where = stack.pop()
        if depth > MAX_DEPTH:
            raise ImportRejected(f"nested deeper than {MAX_DEPTH} levels at {where}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ImportRejected(f"non-finite number at {where}")
        if isinstance(value, int) and not -MAX_INT <= value <= MAX_INT:
            raise ImportRejected(f"number too large at {where}")
        limit = MAX_DETAILS if where in ("$.error_details", "$.run.error_details") else MAX_TEXT
        if isinstance(value, str) and len(value) > limit:
            raise ImportRejected(f"text longer than {limit} characters at {where}")
        if isinstance(value, dict):
            if len(value) > MAX_KEYS:
                raise ImportRejected(f"more than {MAX_KEYS} keys at {where}")
            for key, item in value.items():
                if len(key) > 200:
                    raise ImportRejected(f"key longer than 200 characters at {where}")
                stack.append((item, depth + 1, f"{where}.{key[:40]}"))
        elif isinstance(value, list):
            if len(value) > MAX_ITEMS:
                raise ImportRejected(f"list of more than {MAX_ITEMS} items at {where}")
            if value and not all(isinstance(v, (int, float)) for v in value):
                stack.extend((item, depth + 1, f"{where}[{i}]") for i, item in enumerate(value))
            elif any(isinstance(v, float) and not math.isfinite(v) for v in value):
                raise ImportRejected(f"non-finite number in {where}")
            elif any(isinstance(v, int) and not -MAX_INT <= v <= MAX_INT for v in value):
                raise ImportRejected(f"number too large in {where}")


def _in_range(name: str, value: Any, bounds: tuple[float, float]) -> None:
    """ImportRejected unless ``value`` (a number, or None) lies within ``bounds``."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    low, high = bounds
    if not low <= value <= high:
        raise ImportRejected(f"{name} is {value:.6g}, outside {low:.6g} .. {high:.6g}")


def _all_in_range(name: str, values: Any, bounds: tuple[float, float]) -> None:
    low, high = bounds
    for i, value in enumerate(values or []):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not low <= value <= high:
            raise ImportRejected(f"{name}[{i}] is {value:.6g}, outside {low:.6g} .. {high:.6g}")


def _check_spec(spec: dict[str, Any]) -> None:
    fields = {f.name: str(f.type) for f in dataclasses.fields(RunSpec)}
    unknown = sorted(set(spec) - set(fields))
    if unknown:
        raise ImportRejected(f"unknown spec field(s): {', '.join(unknown)[:200]}")
    for name, value in spec.items():
        kinds = fields[name].replace(" ", "").split("|")
        if value is None and "None" in kinds:
            continue
        base = kinds[0]
        ok = {
            "str": isinstance(value, str), "bool": isinstance(value, bool),
            "int": _is(INT, value), "float": _is(NUM, value),
            "dict[str,int": isinstance(value, dict)  # knobs: dict[str, int | float | bool | str]
            and all(isinstance(k, str) and isinstance(v, (int, float, bool, str)) for k, v in value.items()),
        }.get(base, True)
        if not ok:
            raise ImportRejected(f"spec field {name} must be {fields[name]}, got {type(value).__name__}")
    if not spec.get("workload"):
        raise ImportRejected("spec has no workload")
    for name, bounds in SPEC_RANGES.items():
        _in_range(f"spec {name}", spec.get(name), bounds)
    for knob, value in (spec.get("knobs") or {}).items():
        builtin = spec.get("workload") != USER_WORKLOAD  # a built-in's knobs are sizes; a model's any value
        if builtin and not _is(INT, value):
            raise ImportRejected(f"spec field knobs: {knob[:40]} of a built-in workload must be a whole number, "
                                 f"got {type(value).__name__}")
        _in_range(f"spec knob {knob[:40]}", value, (1, MAX_COUNT) if builtin else (-MAX_COUNT, MAX_COUNT))
        if isinstance(value, str) and len(value) > MAX_NAME_CHARS:
            raise ImportRejected(f"spec knob {knob[:40]} is longer than {MAX_NAME_CHARS} characters")
    if len(spec.get("name") or "") > MAX_NAME_CHARS:
        raise ImportRejected(f"spec name is longer than {MAX_NAME_CHARS} characters")


def _check_distributed(section: dict[str, Any], spec: dict[str, Any]) -> None:
    """The ``distributed`` section of a multi-rank run: world size, nodes and per-rank rows."""
    world = section.get("world_size")
    if not isinstance(world, int) or isinstance(world, bool) or world < 1:
        raise ImportRejected("distributed.world_size must be an integer of at least 1")
    if spec.get("world_size", 1) != world:
        raise ImportRejected(f"distributed.world_size {world} differs from spec.world_size {spec.get('world_size', 1)}")
    nodes = section.get("nodes", 1)
    if not _is(INT, nodes) or not 1 <= nodes <= world:
        raise ImportRejected("distributed.nodes must be an integer from 1 to the world size")
    ranks = section.get("ranks") or []
    if not isinstance(ranks, list) or len(ranks) > world:
        raise ImportRejected("distributed.ranks must be a list of at most world_size rows")
    seen = set()
    for row in ranks:
        rank = row.get("rank") if isinstance(row, dict) else None
        if not isinstance(rank, int) or isinstance(rank, bool) or not 0 <= rank < world or rank in seen:
            raise ImportRejected("each distributed.ranks row needs a distinct rank from 0 to world_size - 1")
        seen.add(rank)
        split = row.get("split")
        parts = ("step_s", "input_s", "compute_s", "comm_s")
        if split is not None and (not isinstance(split, dict) or not all(_is(NUM, split.get(k)) for k in parts)):
            raise ImportRejected(f"distributed.ranks[{rank}].split needs step_s, input_s, compute_s and comm_s")


def check_result(run: Any) -> None:
    """Keys, types and values of a result dict."""
    if not isinstance(run, dict):
        raise ImportRejected("the run must be a JSON object")
    missing = [k for k in REQUIRED if k not in run]
    if missing:
        raise ImportRejected(f"missing required key(s): {', '.join(missing)}")
    allowed = known_keys()
    if run.get("schema") in (1, 2):
        allowed.update(LEGACY_RESULT_KEYS)
    unknown = sorted(set(run) - set(allowed))
    if unknown:
        raise ImportRejected(f"unknown key(s): {', '.join(unknown)[:200]}")
    for key, value in run.items():
        kind, nullable = allowed[key]
        if not (value is None and nullable) and not _is(kind, value):
            raise ImportRejected(f"{key} must be {'null or ' if nullable else ''}{kind}")
    if run["schema"] not in RESULT_SCHEMAS:
        readable = ", ".join(str(s) for s in RESULT_SCHEMAS)
        raise ImportRejected(f"unsupported result schema {run['schema']} (this version reads {readable})")
    if not RUN_ID.match(run["run_id"]):
        raise ImportRejected("run_id must be 1-80 letters, digits, '.', '_', ':' or '-'")
    if run["status"] not in STATES:
        raise ImportRejected(f"status must be one of {', '.join(sorted(STATES))}")
    if not all(_is(NUM, t) and t >= 0 for t in run["step_times_s"]):
        raise ImportRejected("step_times_s must be a list of non-negative numbers")
    if not all(_is(NUM, x) for x in run.get("losses") or []):
        raise ImportRejected("losses must be a list of numbers")
    for key in ("warnings", "notices"):
        if not all(isinstance(x, str) for x in run.get(key) or []):
            raise ImportRejected(f"{key} must be a list of texts")
    for name, stats in (run.get("telemetry") or {}).items():
        if not isinstance(stats, dict) or not all(v is None or _is(NUM, v) for v in stats.values()):
            raise ImportRejected(f"telemetry {name[:40]!r} must map to numbers or null")
    _check_ranges(run)
    _check_spec(run["spec"])
    _check_phases(run.get("phases"))
    if run.get("distributed") is not None:
        _check_distributed(run["distributed"], run["spec"])
    elif run["spec"].get("world_size", 1) != 1:
        raise ImportRejected("a run of several ranks needs its distributed section")


def _check_phases(phases: Any) -> None:
    """A phase split must rebuild (its samples map known phases to seconds)."""
    if phases is None:
        return
    try:
        PhaseRecord.from_dict(phases)
    except (TypeError, ValueError) as exc:
        raise ImportRejected(f"phases: {str(exc)[:160]}") from None


def _check_ranges(run: dict[str, Any]) -> None:
    """Every number of a result within its range: times, counts, sizes, figures."""
    for key, value in run.items():
        _in_range(key, value, RESULT_RANGES.get(key, (-MAX_FIGURE, MAX_FIGURE)))
    _all_in_range("step_times_s", run["step_times_s"], SECONDS)
    _all_in_range("losses", run.get("losses"), LOSS)
    for key, value in (run.get("step_time_s") or {}).items():
        _in_range(f"step_time_s.{key[:40]}", value, (0, MAX_COUNT) if key == "n" else SECONDS)
    for name, stats in (run.get("telemetry") or {}).items():
        for key, value in stats.items():
            _in_range(f"telemetry {name[:40]}.{key[:20]}", value, (-MAX_FIGURE, MAX_FIGURE))
    for key in ("name",):
        if len(run.get(key) or "") > MAX_NAME_CHARS:
            raise ImportRejected(f"{key} is longer than {MAX_NAME_CHARS} characters")
    for key in ("device", "workload", "size", "precision", "status"):
        if isinstance(run.get(key), str) and len(run[key]) > MAX_LABEL:
            raise ImportRejected(f"{key} is longer than {MAX_LABEL} characters")


def check_series(series: Any) -> None:
    """Columns of equal length with the right types."""
    if not isinstance(series, dict) or set(series) - {"steps", "telemetry", "notices"}:
        raise ImportRejected("series must be an object with steps, telemetry, notices")
    steps = series.get("steps") or {}
    if not isinstance(steps, dict) or set(steps) != set(STEP_COLUMNS):
        raise ImportRejected(f"series.steps must have exactly {', '.join(STEP_COLUMNS)}")
    cols = [steps[c] for c in STEP_COLUMNS]
    if not all(isinstance(c, list) for c in cols) or len({len(c) for c in cols}) != 1:
        raise ImportRejected("series.steps columns must be lists of one length")
    step, stage, t_s, step_time, samples, loss = cols
    if not (all(_is(INT, x) for x in step) and all(isinstance(x, str) for x in stage)
            and all(_is(NUM, x) for x in t_s + step_time) and all(_is(INT, x) for x in samples)
            and all(x is None or _is(NUM, x) for x in loss)):
        raise ImportRejected("series.steps has a value of the wrong type")
    _all_in_range("series.steps.step", step, COUNT)
    _all_in_range("series.steps.t_s", t_s, (-MAX_SECONDS, MAX_SECONDS))
    _all_in_range("series.steps.step_time_s", step_time, SECONDS)
    _all_in_range("series.steps.samples", samples, COUNT)
    _all_in_range("series.steps.loss", loss, LOSS)
    telemetry = series.get("telemetry") or {}
    if not isinstance(telemetry, dict):
        raise ImportRejected("series.telemetry must be an object")
    for key, col in telemetry.items():
        if (not isinstance(col, dict) or set(col) != {"t_s", "value"}
                or not all(isinstance(col[c], list) for c in col)
                or len(col["t_s"]) != len(col["value"])
                or not all(_is(NUM, x) for x in col["t_s"] + col["value"])):
            raise ImportRejected(f"series.telemetry {key[:40]!r} must be equal lists of numbers")
        _all_in_range(f"series.telemetry {key[:40]!r} t_s", col["t_s"], (-MAX_SECONDS, MAX_SECONDS))
        _all_in_range(f"series.telemetry {key[:40]!r} value", col["value"], (-MAX_FIGURE, MAX_FIGURE))
    for note in series.get("notices") or []:
        if (not isinstance(note, dict) or set(note) != {"t_s", "kind", "message"}
                or not _is(NUM, note["t_s"]) or not isinstance(note["kind"], str)
                or not isinstance(note["message"], str)):
            raise ImportRejected("series.notices must be objects with t_s, kind, message")
        _in_range("series.notices t_s", note["t_s"], (-MAX_SECONDS, MAX_SECONDS))


def read_run_file(path: str | Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Parse and validate a run file; returns (result dict, series or None)."""
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImportRejected(f"file is {size / 1e6:.0f} MB; run files are at most 50 MB")
        with file.open("rb") as fh:  # at most the cap, whatever it is (/dev/zero, a FIFO)
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise ImportRejected("file is larger than 50 MB; run files are at most 50 MB")
        text = raw.decode("utf-8")
        data = json.loads(text, parse_constant=_reject_constant)
    except ImportRejected:
        raise
    except OSError as exc:
        raise ImportRejected(f"cannot read {file}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ImportRejected("file is not UTF-8 text") from exc
    except RecursionError as exc:
        raise ImportRejected(f"nested deeper than {MAX_DEPTH} levels") from exc
    except ValueError as exc:
        raise ImportRejected(f"not valid JSON: {str(exc)[:120]}") from exc
    if not isinstance(data, dict):
        raise ImportRejected("a run file must hold one JSON object")
    _check_tree(data)
    if "format" in data:
        if data.get("format") != FORMAT or data.get("schema") not in ENVELOPE_SCHEMAS:
            readable = " or ".join(str(s) for s in ENVELOPE_SCHEMAS)
            raise ImportRejected(f"not a {FORMAT} file of schema {readable}")
        if set(data) - {"format", "schema", "exported_at", "horsepower", "run", "series"}:
            raise ImportRejected("unknown key(s) in the file envelope")
        run, series = data.get("run"), data.get("series")
        if isinstance(series, dict):
            upgrade_series(series)
        if series is not None:
            check_series(series)
    else:
        run, series = data, None
    check_result(run)
    assert isinstance(run, dict)  # check_result rejects anything else
    if run["status"] not in RunState.FINAL:
        # Exported while it ran: on this machine it is not running, and never will finish.
        run["status"] = RunState.INTERRUPTED
    return run, series
