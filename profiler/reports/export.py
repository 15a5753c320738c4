"""Export a stored run as JSON, CSV (time series) or HTML, and import a run file."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

from profiler import __version__
from profiler.history.database import HistoryError
from profiler.history.series import empty_series, series_from_steps, steps_from_result
from profiler.history.store import HistoryStore
from profiler.history.traces import write_trace
from profiler.outputs import write_text
from profiler.reports.validate import FORMAT, SCHEMA, ImportRejected, read_run_file
from profiler.results.result import UnreadableResult, read_result

FORMATS = ("json", "csv", "html")
_SPREADSHEET_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def split_run(run: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(result dict without store-only keys, series or None) of a ``HistoryStore.get`` dict."""
    result = {k: v for k, v in run.items() if k not in ("series", "history")}
    return result, run.get("series")


def run_to_json(run: dict[str, Any]) -> str:
    """The export envelope: spec, summary, environment, peak source and the time series."""
    result, series = split_run(run)
    return json.dumps({"format": FORMAT, "schema": SCHEMA, "exported_at": time.time(),
                       "horsepower": __version__, "run": result, "series": series},
                      indent=1, allow_nan=False)


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_SPREADSHEET_FORMULA):
        return "'" + value  # a spreadsheet must not run text from a file as a formula
    return "" if value is None else value


def run_to_csv(run: dict[str, Any]) -> str:
    """One row per step or telemetry reading, ordered by ``t_s``; blank cells where n/a."""
    series = run.get("series")
    if series is None:
        series = empty_series()
        series["steps"] = series_from_steps(steps_from_result(run, None))
    keys = sorted(series["telemetry"])
    header = ["t_s", "step", "stage", "step_time_s", "samples_per_s", "loss", *keys]
    rows: list[tuple[float, int, list[Any]]] = []
    steps = series["steps"]
    for i, t_s in enumerate(steps["t_s"]):
        st = steps["step_time_s"][i]
        sps = steps["samples"][i] / st if st > 0 else None
        rows.append((t_s, 0, [t_s, steps["step"][i], steps["stage"][i], st, sps, steps["loss"][i]]
                     + [None] * len(keys)))
    for col, key in enumerate(keys):
        tele = series["telemetry"][key]
        for t_s, value in zip(tele["t_s"], tele["value"], strict=True):
            cells = [t_s, None, None, None, None, None] + [None] * len(keys)
            cells[6 + col] = value
            rows.append((t_s, 1, cells))
    rows.sort(key=lambda r: (r[0], r[1]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_cell(h) for h in header])
    writer.writerows([_cell(c) for c in cells] for _, _, cells in rows)
    return out.getvalue()


def run_to_html(run: dict[str, Any], **kwargs: Any) -> str:
    from profiler.reports.html import run_report

    return run_report(run, **kwargs)


def export_run(run: dict[str, Any], fmt: str, path: str | Path) -> Path:
    """Write ``run`` (a ``HistoryStore.get`` dict) as ``fmt`` to ``path``; returns the path.

    Written through ``profiler.outputs.write_text``: a device or FIFO is written through, a
    symlink's target is replaced, anything else refused; ``OutputWriteError`` if it fails.
    """
    render = {"json": run_to_json, "csv": run_to_csv, "html": run_to_html}.get(fmt)
    if render is None:
        raise ValueError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")
    text = render(run)
    write_text(str(path), text)
    return Path(path)


class NoTrace(ValueError):
    """The run has no trace to export; the message says why, for a user."""


def export_trace(run: dict[str, Any], store: HistoryStore, path: str | Path) -> Path:
    """Write the trace kept with ``run`` (a ``HistoryStore.get`` dict) to ``path``: Chrome trace
    JSON, gzip-compressed when the name ends ``.gz``. Raises ``NoTrace`` when there is none."""
    run_id = str(run["run_id"])
    stored = store.trace_file(run_id)
    if stored is None:
        trace = run.get("trace")
        if not isinstance(trace, dict):
            raise NoTrace(f"run {run_id} has no trace; record one with `horsepower run --trace FILE`")
        where = f" (it was written to {trace['path']})" if trace.get("path") else ""
        raise NoTrace(f"the history kept no copy of run {run_id}'s trace{where}")
    return write_trace(stored, path)


def import_run(path: str | Path, store: HistoryStore) -> str:
    """Validate ``path`` strictly and store it; returns the run id. Stores nothing on error."""
    run, series = read_run_file(path)
    try:
        normalised = read_result(run)  # checked; the store recomputes its derived figures
    except UnreadableResult as exc:
        raise ImportRejected(f"not a valid run: {str(exc)[:160]}") from exc
    try:
        return store.store_result(normalised, series)
    except HistoryError as exc:
        raise ImportRejected(str(exc)) from exc
    except (TypeError, ValueError, KeyError) as exc:  # its figures cannot be derived: nothing is stored
        raise ImportRejected(f"not a valid run: {str(exc)[:160]}") from exc


__all__ = ["FORMATS", "ImportRejected", "NoTrace", "export_run", "export_trace", "import_run",
           "run_to_csv", "run_to_json"]
