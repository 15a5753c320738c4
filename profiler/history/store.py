"""The run history: every run's spec, result and time series in one SQLite file.

Thread-safety: one connection opened with ``check_same_thread=False``; every method takes
the store's lock, so the engine thread (via ``RunRecorder``), a telemetry thread and the GUI
thread may share one store. Each write is one transaction (one commit).
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from profiler.history.database import HistoryError, connect
from profiler.history.paths import history_db_path
from profiler.history.series import empty_series, series_from_steps, steps_from_result
from profiler.history.traces import forget_trace, keep_trace, trace_path
from profiler.metrics import keys
from profiler.results.result import RunResult, RunState
from profiler.results.spec import RunSpec

log = logging.getLogger(__name__)

ACTIVE_STATES = ("pending", "running", RunState.PREPARING, RunState.WARMING, RunState.MEASURING)
STALE_FOREIGN_S = 24 * 3600.0  # a run owned by another host is interrupted after this long
StepRow = tuple[int, str, float, float, int, "float | None"]  # step, phase, t_s, step_time_s, ...
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


#: the spec's world size in SQL (runs stored before the field existed ran on one rank)
WORLD_SIZE_SQL = "COALESCE(json_extract(spec, '$.world_size'), 1)"


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


class HistoryStore:
    """Open (creating or repairing) the history in ``directory`` (default: user data dir).

    ``notices`` lists things the user should be told (a damaged file moved aside).
    Runs left in an active state by a dead process are marked ``interrupted`` on open.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.path: Path = history_db_path(directory)
        self.notices: list[str] = []
        self._lock = threading.RLock()
        self._conn = connect(self.path, self.notices)
        self._mark_interrupted()

    @classmethod
    def open(cls, directory: str | os.PathLike[str] | None = None) -> HistoryStore:
        return cls(directory)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- writing ---------------------------------------------------------------------
    def _mark_interrupted(self) -> None:
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
                if (owner == host and not (pid and psutil.pid_exists(pid)))
                or (owner != host and now - updated > STALE_FOREIGN_S)
            ]
            with self._conn:
                self._conn.executemany(
                    "UPDATE runs SET status=?, updated_at=? WHERE id=?",
                    [(RunState.INTERRUPTED, now, run_id) for run_id in dead],
                )
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
            "INSERT INTO steps(run_id, step, phase, t_s, step_time_s, samples, loss)"
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

    def finish_run(self, run_id: str, result: dict[str, Any]) -> None:
        """Store the final result dict of a recorded run (a trace it names is copied into the
        history first: ``profiler.history.traces``)."""
        result = keep_trace(self.path.parent, run_id, result)
        with self._lock, self._conn:
            self._conn.execute(
                "UPDATE runs SET status=?, result=?, name=?, samples_per_s=?,"
                " achieved_flops_per_s=?, mfu=?, samples_per_j=?, energy_j=?, updated_at=?"
                " WHERE id=?",
                (str(result.get("status", RunState.COMPLETED)), json.dumps(result),
                 str(result.get("name", run_id)), *self._figures(result), time.time(), run_id),
            )
            if isinstance(result.get("spec"), dict):
                self._conn.execute(
                    "UPDATE runs SET spec=?, device=?, workload=? WHERE id=?",
                    (json.dumps(result["spec"]), str(result.get("device", "")),
                     str(result.get("workload", "")), run_id))

    @staticmethod
    def _figures(result: dict[str, Any]) -> tuple[float | None, ...]:
        keys = ("samples_per_s", "achieved_flops_per_s", "mfu", "samples_per_j", "energy_j")
        return tuple(_finite(result.get(k)) for k in keys)

    def store_result(self, result: dict[str, Any], series: dict[str, Any] | None = None) -> str:
        """Store a complete run (an import) with its series; returns its run id.

        Without ``series`` the step rows are rebuilt from ``step_times_s``. Raises
        ``HistoryError`` if the run id is already in history; stores nothing then.
        """
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
        """Give a run a new name (kept in its spec, so re-runs and exports carry it)."""
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

    def delete(self, run_id: str) -> bool:
        """Remove a run, its series and its kept trace; False if there was no such run."""
        with self._lock, self._conn:
            for table, column in (("steps", "run_id"), ("telemetry", "run_id"),
                                  ("notices", "run_id"), ("runs", "id")):
                cur = self._conn.execute(f"DELETE FROM {table} WHERE {column}=?", (run_id,))
            deleted = cur.rowcount > 0
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
            f" achieved_flops_per_s, mfu, samples_per_j, energy_j, {WORLD_SIZE_SQL} FROM runs{where}"
            " ORDER BY created_at DESC, id DESC"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        return [RunSummary(*row) for row in rows]

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
                "SELECT name, status, spec, result, created_at, updated_at FROM runs WHERE id=?",
                (run_id,)).fetchone()
        if row is None:
            return None
        _name, status, spec_json, result_json, created, updated = row
        series = self.series(run_id)
        if result_json:
            data = json.loads(result_json)
            data["telemetry"] = keys.normalize(data.get("telemetry") or {}, str(data.get("device") or ""))
        else:
            data = self._partial_result(run_id, status, json.loads(spec_json), series, created)
        data["series"] = series
        data["history"] = {"created_at": created, "updated_at": updated, "final": bool(result_json)}
        return data

    @staticmethod
    def _partial_result(run_id: str, status: str, spec: dict[str, Any],
                        series: dict[str, Any], created: float) -> dict[str, Any]:
        result = RunResult(spec=RunSpec.from_dict(spec), run_id=run_id, status=status,
                           started_at=created)
        steps = series["steps"]
        timed = [i for i, phase in enumerate(steps["phase"]) if phase == "timed"]
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
                "SELECT step, phase, t_s, step_time_s, samples, loss FROM steps"
                " WHERE run_id=? ORDER BY t_s, rowid", (run_id,)).fetchall()
            tele = self._conn.execute(
                "SELECT t_s, key, value FROM telemetry WHERE run_id=? ORDER BY t_s, rowid",
                (run_id,)).fetchall()
            notes = self._conn.execute(
                "SELECT t_s, kind, message FROM notices WHERE run_id=? ORDER BY t_s, rowid",
                (run_id,)).fetchall()
        out = empty_series()
        out["steps"] = series_from_steps(steps)
        for t_s, key, value in tele:
            if "." not in key:  # stored before the one key scheme: a bare key is a host reading
                key = keys.host(key)
            col = out["telemetry"].setdefault(key, {"t_s": [], "value": []})
            col["t_s"].append(t_s)
            col["value"].append(value)
        out["notices"] = [{"t_s": t, "kind": k, "message": m} for t, k, m in notes]
        return out


__all__ = ["HistoryError", "HistoryStore", "RunSummary"]
