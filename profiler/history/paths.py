"""Where Horsepower keeps its files: history database (data dir) and prices (config dir).

``HORSEPOWER_DATA_DIR`` and ``HORSEPOWER_CONFIG_DIR`` override the platform defaults
(tests and portable installs use them). Directories are created on first use.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "horsepower"
DB_NAME = "history.db"
PRICES_NAME = "prices.json"


def data_dir() -> Path:
    """The user data dir (history lives here); created if missing."""
    override = os.environ.get("HORSEPOWER_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    """The user config dir (prices live here); created if missing."""
    override = os.environ.get("HORSEPOWER_CONFIG_DIR")
    path = Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def history_db_path(directory: str | os.PathLike[str] | None = None) -> Path:
    """Path of the history database in ``directory`` (default: ``data_dir()``)."""
    base = Path(directory) if directory is not None else data_dir()
    base.mkdir(parents=True, exist_ok=True)
    return base / DB_NAME


def prices_path(directory: str | os.PathLike[str] | None = None) -> Path:
    """Path of the prices JSON in ``directory`` (default: ``config_dir()``)."""
    base = Path(directory) if directory is not None else config_dir()
    base.mkdir(parents=True, exist_ok=True)
    return base / PRICES_NAME
