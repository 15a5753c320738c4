"""Open the history database: WAL mode, schema, and moving a corrupt file aside.

Used only by ``HistoryStore``. The connection is opened with ``check_same_thread=False``;
the store serialises every use with its own lock.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

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
    owner_host TEXT
);
CREATE TABLE IF NOT EXISTS steps(
    run_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    phase TEXT NOT NULL,
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
    """The history database cannot be used; the message is meant for a user."""


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    """A damaged or foreign file, as opposed to a locked or unreachable one."""
    return not isinstance(exc, sqlite3.OperationalError) or "malformed" in str(exc)


def _check_and_prepare(conn: sqlite3.Connection) -> None:
    row = conn.execute("PRAGMA quick_check").fetchone()
    if row is None or row[0] != "ok":
        raise sqlite3.DatabaseError(f"integrity check failed: {row[0] if row else 'no answer'}")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")  # a commit survives a power cut (one fsync/flush)
    conn.executescript(SCHEMA)
    found = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
    if found is None:
        conn.execute("INSERT INTO meta(key, value) VALUES('schema', ?)", (str(SCHEMA_VERSION),))
        conn.commit()
    elif int(found[0]) > SCHEMA_VERSION:
        raise HistoryError(
            f"history database schema {found[0]} is newer than this Horsepower "
            f"understands ({SCHEMA_VERSION}); upgrade Horsepower"
        )


def move_aside(path: Path) -> Path:
    """Rename ``path`` (and its -wal/-shm files) to ``<name>.corrupt-<timestamp>``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    path.replace(target)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.replace(target.with_name(target.name + suffix))
    return target


def connect(path: Path, notices: list[str]) -> sqlite3.Connection:
    """Open (or create) the database at ``path``; a corrupt file is moved aside first.

    A notice for the user is appended to ``notices`` and logged when that happens.
    """
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10.0)
    try:
        _check_and_prepare(conn)
        return conn
    except sqlite3.DatabaseError as exc:
        conn.close()
        if not _is_corruption(exc):
            raise HistoryError(f"cannot open run history {path}: {exc}") from exc
        moved = move_aside(path)
        message = (
            f"run history {path} was damaged ({exc}); it was moved to {moved} "
            "and a new, empty history was started"
        )
        log.warning(message)
        notices.append(message)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10.0)
    _check_and_prepare(conn)
    return conn
