"""The run history: every run's spec, result and time series in one SQLite file.

Thread-safety: one connection opened with ``check_same_thread=False``; every method takes
the store's lock, so the engine thread (via ``RunRecorder``), a telemetry thread and the GUI
thread may share one store. Each write is one transaction (one commit).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil

from profiler.error_text import first_line
from profiler.history.database import BUSY_TIMEOUT_S, HistoryError, connect, is_busy
from profiler.history.paths import UserDirError, history_db_path
from profiler.history.rows import (
    WORLD_SIZE_SQL,
    NoticeRow,
    RunSummary,
    StepRow,
    TelemetryRow,
    epoch_s,
    finite,
    result_field,
    step_ok,
    summary_from_row,
    text_of,
)
from profiler.history.series import empty_series, series_from_steps, steps_from_result
from profiler.history.traces import forget_trace, keep_trace, trace_path
from profiler.metrics import keys
from profiler.results.result import RunResult, RunState
from profiler.results.spec import MAX_NAME_CHARS, RunSpec

log = logging.getLogger(__name__)

class RunInProgress(HistoryError):
    """A run that cannot be deleted: a live process is still recording it."""


ACTIVE_STATES = ("pending", "running", RunState.PREPARING, RunState.WARMING, RunState.MEASURING)
STALE_FOREIGN_S = 24 * 3600.0  # a run owned by another host is interrupted after this long
UNFINISHED = "the run ended without its final result being stored; its stored steps may be fewer than it measured"


class HistoryStore:
    """Open (creating or repairing) the history in ``directory`` (default: user data dir).

    ``notices`` lists things the user should be told (a damaged file moved aside).
    Runs left in an active state by a dead process are marked ``interrupted`` on open.
    ``busy_timeout_s``: how long one statement waits for another process's lock.
    Reading never raises on a damaged row: ``list_runs`` clamps what it cannot show, ``get``
    returns None for a run it cannot rebuild, and ``damaged`` maps such run ids to why.
    Raises ``HistoryError`` (one line) when the history cannot be used at all.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None,
                 busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        try:
            self.path: Path = history_db_path(directory)
        except UserDirError as exc:
            raise HistoryError(str(exc)) from exc
        self.notices: list[str] = []
        self.damaged: dict[str, str] = {}
        self._lock = threading.RLock()
        self._conn = connect(self.path, self.notices, busy_timeout_s)
        try:
            self._mark_interrupted()
        except Exception:
            self._conn.close()
            raise

    @classmethod
    def open(cls, directory: str | os.PathLike[str] | None = None,
             busy_timeout_s: float = BUSY_TIMEOUT_S) -> HistoryStore:
        return cls(directory, busy_timeout_s)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- writing ---------------------------------------------------------------------
    def _mark_interrupted(self) -> None:
        """Mark runs whose process died unfinished ``interrupted`` (and incomplete). Skipped,
        to be done by a later open, while another process holds the write lock."""
        host = socket.gethostname()
        now = time.time()
        marks = ",".join("?" * len(ACTIVE_STATES))
        with self._lock:
            rows = self._conn.execute(
                f"SELECT id, owner_pid, owner_host, updated_at FROM runs WHERE status IN ({marks})",
                ACTIVE_STATES,
            ).fetchall()
            dead = [
                run_id
                for run_id, pid, owner, updated in rows
                if (owner == host and not (isinstance(pid, int) and pid > 0 and psutil.pid_exists(pid)))
                or (owner != host and now - (finite(updated) or 0.0) > STALE_FOREIGN_S)
            ]
            if not dead:
                return
            try:
                with self._conn:
                    self._conn.executemany(
                        "UPDATE runs SET status=?, updated_at=?, incomplete=coalesce(incomplete, ?) WHERE id=?",
                        [(RunState.INTERRUPTED, now, UNFINISHED, run_id) for run_id in dead],
                    )
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
                log.info("history is locked; unfinished runs are marked interrupted later")
                return
        for run_id in dead:
            log.info("run %s was left unfinished; marked interrupted", run_id)

    def begin_run(self, run_id: str, spec: RunSpec | dict[str, Any], status: str = "pending") -> None:
        """Create the row of a run about to start, owned by this process."""
        spec_dict = spec.to_dict() if isinstance(spec, RunSpec) else dict(spec)
        title = RunSpec.from_dict(spec_dict).title
        now = time.time()
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO runs(id, name, status, device, workload, spec, created_at, updated_at,"
                " owner_pid, owner_host) VALUES(?,?,?,?,?,?,?,?,?,?)",
                (run_id, title, status, str(spec_dict.get("device", "")),
                 str(spec_dict.get("workload", "")), json.dumps(spec_dict), now, now,
                 os.getpid(), socket.gethostname()),
            )

    def _insert_series(self, run_id: str, steps: Sequence[StepRow], telemetry: Sequence[TelemetryRow],
                       notices: Sequence[NoticeRow]) -> None:
        """Insert series rows; the caller holds the lock and the transaction."""
        self._conn.executemany(
            "INSERT INTO steps(run_id, step, stage, t_s, step_time_s, samples, loss)"
            " VALUES(?,?,?,?,?,?,?)", [(run_id, *row) for row in steps])
        self._conn.executemany(
            "INSERT INTO telemetry(run_id, t_s, key, value) VALUES(?,?,?,?)",
            [(run_id, *row) for row in telemetry])
        self._conn.executemany(
            "INSERT INTO notices(run_id, t_s, kind, message) VALUES(?,?,?,?)",
            [(run_id, *row) for row in notices])

    def append(
        self,
        run_id: str,
        steps: Sequence[StepRow] = (),
        telemetry: Sequence[TelemetryRow] = (),
        notices: Sequence[NoticeRow] = (),
        status: str | None = None,
    ) -> None:
        """Add buffered series rows (and maybe a new status) in one transaction."""
        with self._lock, self._conn:
            self._insert_series(run_id, steps, telemetry, notices)
            if status is not None:
                self._conn.execute("UPDATE runs SET status=?, updated_at=? WHERE id=?",
                                   (status, time.time(), run_id))
            else:
                self._conn.execute("UPDATE runs SET updated_at=? WHERE id=?", (time.time(), run_id))

    def finish_run(self, run_id: str, result: RunResult | dict[str, Any], incomplete: str | None = None) -> None:
        """Store the final result of a recorded run (a ``RunResult``, made a dict here, at the SQLite
        edge, or a result dict; a trace it names is copied into the history first:
        ``profiler.history.traces``); ``incomplete`` says why its stored steps are fewer than it
        measured (None: history holds them all). The row's time becomes the result's
        ``started_at``, so History shows the start the report and the details pane show."""
        result = keep_trace(self.path.parent, run_id, _as_dict(result))
        started = finite(result.get("started_at"))
        with self._lock, self._conn:
            self._conn.execute(
                "UPDATE runs SET status=?, result=?, name=?, samples_per_s=?,"
                " achieved_flops_per_s=?, mfu=?, samples_per_j=?, energy_j=?, updated_at=?,"
                " incomplete=?, created_at=coalesce(?, created_at) WHERE id=?",
                (str(result.get("status", RunState.COMPLETED)), json.dumps(result),
                 str(result.get("name", run_id)), *self._figures(result), time.time(), incomplete,
                 started if started and started > 0 else None, run_id),
            )
            if isinstance(result.get("spec"), dict):
                self._conn.execute(
                    "UPDATE runs SET spec=?, device=?, workload=? WHERE id=?",
                    (json.dumps(result["spec"]), str(result.get("device", "")),
                     str(result.get("workload", "")), run_id))

    @staticmethod
    def _figures(result: dict[str, Any]) -> tuple[float | None, ...]:
        keys = ("samples_per_s", "achieved_flops_per_s", "mfu", "samples_per_j", "energy_j")
        return tuple(finite(result.get(k)) for k in keys)

    def store_result(self, result: RunResult | dict[str, Any], series: dict[str, Any] | None = None) -> str:
        """Store a complete run (an import, a scale point: a ``RunResult`` or its dict) with its
        series; returns its run id.

        Without ``series`` the step rows are rebuilt from ``step_times_s``. Raises
        ``HistoryError`` if the run id is already in history; stores nothing then.
        """
        result = _as_dict(result)
        run_id = str(result["run_id"])
        if isinstance(result.get("trace"), dict):  # the trace file stayed on the other machine
            result = {**result, "trace": {**result["trace"], "stored": None}}
        steps = steps_from_result(result, series)
        telemetry = [
            (float(t), str(key) if "." in str(key) else keys.host(str(key)), float(v))
            for key, col in ((series or {}).get("telemetry") or {}).items()
            for t, v in zip(col["t_s"], col["value"], strict=True)
        ]
        notes = [(float(n["t_s"]), str(n["kind"]), str(n["message"]))
                 for n in (series or {}).get("notices") or []]
        now = time.time()
        with self._lock:
            if self._conn.execute("SELECT 1 FROM runs WHERE id=?", (run_id,)).fetchone():
                raise HistoryError(f"run {run_id} is already in history")
            with self._conn:
                self._conn.execute(
                    "INSERT INTO runs(id, name, status, device, workload, spec, result,"
                    " samples_per_s, achieved_flops_per_s, mfu, samples_per_j, energy_j,"
                    " created_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (run_id, str(result["name"]), str(result["status"]), str(result["device"]),
                     str(result["workload"]), json.dumps(result["spec"]), json.dumps(result),
                     *self._figures(result), float(result.get("started_at") or now), now),
                )
                self._insert_series(run_id, steps, telemetry, notes)
        return run_id

    def rename(self, run_id: str, name: str) -> None:
        """Give a run a new name (kept in its spec, so re-runs and exports carry it).
        ValueError for a name longer than ``MAX_NAME_CHARS``."""
        if len(name) > MAX_NAME_CHARS:
            raise ValueError(f"a run name is at most {MAX_NAME_CHARS} characters, got {len(name)}")
        with self._lock:
            row = self._conn.execute("SELECT spec, result FROM runs WHERE id=?", (run_id,)).fetchone()
            if row is None:
                raise KeyError(run_id)
            spec = json.loads(row[0])
            spec["name"] = name
            result = json.loads(row[1]) if row[1] else None
            if result is not None:
                result["spec"]["name"] = name
                result["name"] = name
            with self._conn:
                self._conn.execute(
                    "UPDATE runs SET name=?, spec=?, result=?, updated_at=? WHERE id=?",
                    (name, json.dumps(spec), json.dumps(result) if result else None,
                     time.time(), run_id))

    def live_owner(self, run_id: str) -> int | None:
        """The pid of the process still recording ``run_id`` on this host (None: it is
        finished, or its process is gone; a run on another host counts as live while it was
        updated within ``STALE_FOREIGN_S``, and then the pid is 0)."""
        marks = ",".join("?" * len(ACTIVE_STATES))
        with self._lock:
            row = self._conn.execute(
                f"SELECT owner_pid, owner_host, updated_at FROM runs WHERE id=? AND status IN ({marks})",
                (run_id, *ACTIVE_STATES)).fetchone()
        if row is None:
            return None
        pid, owner, updated = row
        if owner == socket.gethostname():
            return pid if isinstance(pid, int) and pid > 0 and psutil.pid_exists(pid) else None
        return 0 if time.time() - (finite(updated) or 0.0) <= STALE_FOREIGN_S else None

    def delete(self, run_id: str) -> bool:
        """Remove a run, its series and its kept trace; False if there was no such run.
        ``RunInProgress`` (nothing removed) while a live process still records it."""
        owner = self.live_owner(run_id)
        if owner is not None:
            where = f"process {owner}" if owner else "another machine"
            raise RunInProgress(f"run {run_id} is still running ({where} records it); stop it first, "
                                "then delete it")
        with self._lock, self._conn:
            for table, column in (("steps", "run_id"), ("telemetry", "run_id"),
                                  ("notices", "run_id"), ("runs", "id")):
                cur = self._conn.execute(f"DELETE FROM {table} WHERE {column}=?", (run_id,))
            deleted = cur.rowcount > 0
        self.damaged.pop(run_id, None)
        forget_trace(self.path.parent, run_id)
        return deleted

    # ---- reading ---------------------------------------------------------------------
    def list_runs(
        self,
        workload: str | None = None,
        device: str | None = None,
        status: str | None = None,
        text: str | None = None,
        limit: int | None = None,
        world_size: int | None = None,
    ) -> list[RunSummary]:
        """Runs, newest first; ``text`` matches name, id, workload or device (case-insensitive);
        ``world_size`` keeps runs of that many ranks."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("workload", workload), ("device", device), ("status", status)):
            if value:
                clauses.append(f"{column}=?")
                params.append(value)
        if world_size is not None:
            clauses.append(f"{WORLD_SIZE_SQL}=?")
            params.append(int(world_size))
        if text:
            like = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            clauses.append("(" + " OR ".join(
                f"lower({c}) LIKE ? ESCAPE '\\'" for c in ("name", "id", "workload", "device")) + ")")
            params.extend([like] * 4)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        sql = (
            "SELECT id, name, status, device, workload, created_at, updated_at, samples_per_s,"
            f" achieved_flops_per_s, mfu, samples_per_j, energy_j, {WORLD_SIZE_SQL}, incomplete, spec,"
            f" {result_field('batch_size')}, {result_field('timed_steps')}, {result_field('timed_s')},"
            f" {result_field('others_cpu')}, {result_field('other_cpu_percent')}"
            f" FROM runs{where}"
            " ORDER BY created_at DESC, id DESC"
        )
        if limit is not None:
            sql += f" LIMIT {max(int(limit), 0)}"
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        return [self._summary(row) for row in rows]

    def _summary(self, row: Sequence[Any]) -> RunSummary:
        summary, damage = summary_from_row(row)
        if damage:
            self._note_damaged(summary.run_id, damage)
        return summary

    def _note_damaged(self, run_id: str, reason: str) -> None:
        if run_id not in self.damaged:
            log.info("run %s in history is damaged: %s", run_id, reason)
        self.damaged[run_id] = reason

    def trace_file(self, run_id: str) -> Path | None:
        """The history's copy of run ``run_id``'s trace (gzip-compressed Chrome trace JSON), or
        None when the run has no trace kept here."""
        path = trace_path(self.path.parent, run_id)
        return path if path.is_file() else None

    def run_ids(self) -> list[str]:
        return [s.run_id for s in self.list_runs()]

    def get(self, run_id: str) -> dict[str, Any] | None:
        """The run's result dict (``RunResult.to_dict`` keys) plus ``series``; None if unknown.

        A run without a final result (interrupted, or still running) is rebuilt from its
        spec and the timed steps recorded so far.
        """
        with self._lock:
            row = self._conn.execute(
                "SELECT name, status, spec, result, created_at, updated_at, incomplete FROM runs WHERE id=?",
                (run_id,)).fetchone()
        if row is None:
            return None
        _name, status, spec_json, result_json, created, updated, incomplete = row
        series = self.series(run_id)
        created_at = epoch_s(created) or 0.0
        data = self._stored_result(run_id, result_json) if result_json else None
        final = data is not None
        if data is None:
            try:
                data = self._partial_result(run_id, text_of(status), json.loads(spec_json), series, created_at)
            except Exception as exc:  # a row no Horsepower could have written
                self._note_damaged(run_id, f"its spec cannot be read ({first_line(exc, 120, named=False)})")
                return None
        for key in ("started_at", "ended_at"):
            if data.get(key) is not None and epoch_s(data[key]) is None:
                data[key] = created_at if key == "started_at" else None
                self._note_damaged(run_id, f"its {key} is out of range; shown as the time it was stored")
        data["series"] = series
        data["history"] = {"created_at": created_at, "updated_at": epoch_s(updated) or created_at,
                           "final": final, "incomplete": None if incomplete is None else text_of(incomplete)}
        return data

    def _stored_result(self, run_id: str, result_json: Any) -> dict[str, Any] | None:
        """The stored result dict, or None (run noted as damaged) when it cannot be read."""
        try:
            data = json.loads(result_json)
            if not isinstance(data, dict) or not isinstance(data.get("spec"), dict):
                raise ValueError("not a result object")
            data["telemetry"] = keys.normalize(data.get("telemetry") or {}, str(data.get("device") or ""))
            return data
        except Exception as exc:
            self._note_damaged(run_id, f"its result cannot be read ({first_line(exc, 120, named=False)}); "
                                       "rebuilt from its steps")
            return None

    @staticmethod
    def _partial_result(run_id: str, status: str, spec: dict[str, Any],
                        series: dict[str, Any], created: float) -> dict[str, Any]:
        result = RunResult(spec=RunSpec.from_dict(spec), run_id=run_id, status=status,
                           started_at=created)
        steps = series["steps"]
        timed = [i for i, stage in enumerate(steps["stage"]) if stage == "timed"]
        result.step_times_s = [steps["step_time_s"][i] for i in timed]
        result.losses = [steps["loss"][i] for i in timed if steps["loss"][i] is not None]
        if timed:
            result.samples_per_step = int(steps["samples"][timed[0]])
            result.batch_size = result.spec.batch_size or result.samples_per_step
        result.notices = [n["message"] for n in series["notices"]]
        return result.to_dict()

    def series(self, run_id: str) -> dict[str, Any]:
        """Columnar time series of a run: steps, telemetry per key, notices."""
        with self._lock:
            steps = self._conn.execute(
                "SELECT step, stage, t_s, step_time_s, samples, loss FROM steps"
                " WHERE run_id=? ORDER BY t_s, rowid", (run_id,)).fetchall()
            tele = self._conn.execute(
                "SELECT t_s, key, value FROM telemetry WHERE run_id=? ORDER BY t_s, rowid",
                (run_id,)).fetchall()
            notes = self._conn.execute(
                "SELECT t_s, kind, message FROM notices WHERE run_id=? ORDER BY t_s, rowid",
                (run_id,)).fetchall()
        out = empty_series()
        good = [row for row in steps if step_ok(row)]
        tele = [row for row in tele if isinstance(row[1], str) and finite(row[0]) is not None
                and finite(row[2]) is not None]
        notes = [(t, text_of(k), text_of(m)) for t, k, m in notes if finite(t) is not None]
        if len(good) < len(steps):
            self._note_damaged(run_id, f"{len(steps) - len(good)} stored step(s) hold values out of range; skipped")
        out["steps"] = series_from_steps(good)
        for t_s, key, value in tele:
            if "." not in key:  # stored before the one key scheme: a bare key is a host reading
                key = keys.host(key)
            col = out["telemetry"].setdefault(key, {"t_s": [], "value": []})
            col["t_s"].append(t_s)
            col["value"].append(value)
        out["notices"] = [{"t_s": t, "kind": k, "message": m} for t, k, m in notes]
        return out


__all__ = ["HistoryError", "HistoryStore", "RunInProgress", "RunSummary"]


def _as_dict(result: RunResult | dict[str, Any]) -> dict[str, Any]:
    """The stored form of a result: ``RunResult.to_dict`` (done once, here) or the dict given."""
    return result.to_dict() if isinstance(result, RunResult) else result
