"""Where history keeps its files: the history database (data dir) and prices (config dir).

The directories themselves (and their ``HORSEPOWER_*_DIR`` overrides) are ``profiler.paths``'s.
"""

from __future__ import annotations

import os
from pathlib import Path

from profiler.paths import APP_NAME, UserDirError, config_dir, data_dir, ensure_dir

__all__ = ["APP_NAME", "DB_NAME", "PRICES_NAME", "UserDirError", "config_dir", "data_dir", "history_db_path",
           "prices_path"]

DB_NAME = "history.db"
PRICES_NAME = "prices.json"


def history_db_path(directory: str | os.PathLike[str] | None = None) -> Path:
    """Path of the history database in ``directory`` (default: ``data_dir()``)."""
    base = ensure_dir(Path(directory), "HORSEPOWER_DATA_DIR") if directory is not None else data_dir()
    return base / DB_NAME


def prices_path(directory: str | os.PathLike[str] | None = None) -> Path:
    """Path of the prices JSON in ``directory`` (default: ``config_dir()``)."""
    base = ensure_dir(Path(directory), "HORSEPOWER_CONFIG_DIR") if directory is not None else config_dir()
    return base / PRICES_NAME
