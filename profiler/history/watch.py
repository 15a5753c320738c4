"""Has the history changed since we last looked? SQLite's own change counter, per connection.

``PRAGMA data_version`` returns a number that changes whenever *another* connection (this
process's store, a ``horsepower run`` in another process, another window) commits to the
database file. ``HistoryWatch`` keeps a connection of its own just to read it, so polling it
on a timer (about once a second) sees every stored run without taking the store's lock.
Not thread-safe: one thread polls (the window's GUI thread).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)

#: how long one poll waits for another process's lock before it says "no news yet" (s)
POLL_TIMEOUT_S = 0.05


class HistoryWatch:
    """``changed()`` is True once after each commit by any other connection to ``path``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._version: int | None = None
        self._missed = False  # a poll failed: the next reading cannot tell what happened meanwhile
        self.changed()  # the first reading is the baseline

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=POLL_TIMEOUT_S,
                                         check_same_thread=False)
        return self._conn

    def changed(self) -> bool:
        """Whether the database changed since the last call (False when it cannot tell now)."""
        try:
            row = self._connection().execute("PRAGMA data_version").fetchone()
        except sqlite3.Error as exc:  # locked for a moment, or the file is being replaced
            log.debug("history watch: %s", exc)
            self.close()
            self._missed = True
            return False
        version = int(row[0]) if row else None
        was, self._version = self._version, version
        missed, self._missed = self._missed, False
        return missed or (was is not None and version != was)

    def close(self) -> None:
        """Close the watch's connection (idempotent); the next ``changed()`` reopens it."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
            self._version = None
