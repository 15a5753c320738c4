"""Open the history database: WAL mode, schema, and moving a corrupt file aside.

Used only by ``HistoryStore``. The connection is opened with ``check_same_thread=False``;
the store serialises every use with its own lock. The schema version is kept in the ``meta``
table (key ``schema``); an older database is migrated, a newer one refused with one line.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from profiler.error_text import first_line
from profiler.outputs import aside_path

log = logging.getLogger(__name__)

#: 2: ``runs.incomplete`` says why a run's stored steps are fewer than it measured;
#: 3: ``steps.stage`` (warmup | timed | compile) was ``steps.phase``
SCHEMA_VERSION = 3
BUSY_TIMEOUT_S = 10.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs(
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    device TEXT NOT NULL,
    workload TEXT NOT NULL,
    spec TEXT NOT NULL,
    result TEXT,
    samples_per_s REAL,
    achieved_flops_per_s REAL,
    mfu REAL,
    samples_per_j REAL,
    energy_j REAL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    owner_pid INTEGER,
    owner_host TEXT,
    incomplete TEXT
);
CREATE TABLE IF NOT EXISTS steps(
    run_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    stage TEXT NOT NULL,
    t_s REAL NOT NULL,
    step_time_s REAL NOT NULL,
    samples INTEGER NOT NULL,
    loss REAL
);
CREATE INDEX IF NOT EXISTS steps_run ON steps(run_id, t_s);
CREATE TABLE IF NOT EXISTS telemetry(
    run_id TEXT NOT NULL,
    t_s REAL NOT NULL,
    key TEXT NOT NULL,
    value REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS telemetry_run ON telemetry(run_id, t_s);
CREATE TABLE IF NOT EXISTS notices(
    run_id TEXT NOT NULL,
    t_s REAL NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notices_run ON notices(run_id);
"""


class HistoryError(RuntimeError):
    """The history database cannot be used; the message is one line meant for a user.

    ``retriable``: the database is busy or locked by another process (trying again later may
    work), as opposed to unusable (read-only, not a directory, a newer schema).
    """

    def __init__(self, message: str, retriable: bool = False) -> None:
        super().__init__(message)
        self.retriable = retriable


def is_busy(exc: BaseException) -> bool:
    """A locked or busy database (another process holds a write lock)."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    """A damaged or foreign file, as opposed to a locked or unreachable one."""
    return not isinstance(exc, sqlite3.OperationalError) or "malformed" in str(exc)


def _check_and_prepare(conn: sqlite3.Connection) -> None:
    row = conn.execute("PRAGMA quick_check").fetchone()
    if row is None or row[0] != "ok":
        raise sqlite3.DatabaseError(f"integrity check failed: {row[0] if row else 'no answer'}")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")  # a commit survives a power cut (one fsync/flush)
    has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
    found = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone() if has_meta else None
    version = _version(found[0]) if found is not None else None
    if version is not None and version > SCHEMA_VERSION:
        raise HistoryError(
            f"the run history was written by a newer Horsepower (schema {version}; this one reads up to "
            f"{SCHEMA_VERSION}): upgrade Horsepower, or set HORSEPOWER_DATA_DIR to another directory"
        )
    conn.executescript(SCHEMA)
    if version == SCHEMA_VERSION:
        return
    columns = {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
    step_columns = {row[1] for row in conn.execute("PRAGMA table_info(steps)")}
    with conn:
        if "incomplete" not in columns:  # schema 1
            conn.execute("ALTER TABLE runs ADD COLUMN incomplete TEXT")
        if "phase" in step_columns and "stage" not in step_columns:  # schema 1-2
            conn.execute("ALTER TABLE steps RENAME COLUMN phase TO stage")
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('schema', ?)", (str(SCHEMA_VERSION),))
        log.info("run history schema %s -> %s", version, SCHEMA_VERSION)


def _version(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise sqlite3.DatabaseError(f"schema version {str(value)[:40]!r} is not a number") from None


def move_aside(path: Path) -> Path:
    """Rename ``path`` (and its -wal/-shm files) to ``<name>.corrupt-<timestamp>``."""
    target = aside_path(path, "corrupt")
    path.replace(target)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.replace(target.with_name(target.name + suffix))
    return target


def _open(path: Path, timeout_s: float) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=timeout_s)
    try:
        _check_and_prepare(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _unusable(path: Path, exc: BaseException) -> HistoryError:
    if is_busy(exc):
        return HistoryError(f"run history {path} is locked by another process ({first_line(exc, 200, named=False)})",
                            retriable=True)
    return HistoryError(
        f"cannot use run history {path}: {first_line(exc, 200, named=False)} (is the directory writable? "
        "HORSEPOWER_DATA_DIR chooses another)"
    )


def connect(path: Path, notices: list[str], timeout_s: float = BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """Open (or create) the database at ``path``; a corrupt file is moved aside first.

    ``timeout_s`` is how long one statement waits for another process's lock. A short notice
    for the user is appended to ``notices`` (and logged at INFO) when a file is moved aside.
    Raises ``HistoryError`` when the database cannot be used.
    """
    try:
        return _open(path, timeout_s)
    except HistoryError:
        raise
    except sqlite3.DatabaseError as exc:
        if not _is_corruption(exc):
            raise _unusable(path, exc) from exc
        try:
            moved = move_aside(path)
        except OSError as move_exc:
            raise _unusable(path, move_exc) from move_exc
        message = (f"run history {path} was damaged ({first_line(exc, 120, named=False)}); it was moved to "
                   f"{moved.name} and a new, empty history was started")
        log.info(message)
        notices.append(message)
    except OSError as exc:
        raise _unusable(path, exc) from exc
    try:
        return _open(path, timeout_s)
    except (sqlite3.Error, OSError) as exc:
        raise _unusable(path, exc) from exc
