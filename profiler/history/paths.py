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


class UserDirError(OSError):
    """A data or config directory that cannot be created or used; ``str()`` is one line for a user."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "cannot use a Horsepower directory"


def ensure_dir(path: Path, env: str) -> Path:
    """Create ``path`` if missing; UserDirError (naming ``env``, which moves it) if it cannot be."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = "it is a file" if path.exists() and not path.is_dir() else exc.strerror or str(exc)
        raise UserDirError(f"cannot use directory {path}: {reason} (set {env} to a writable directory)") from exc
    if not path.is_dir():
        raise UserDirError(f"cannot use directory {path}: it is not a directory (set {env} to a directory)")
    return path


def data_dir() -> Path:
    """The user data dir (history lives here); created if missing."""
    override = os.environ.get("HORSEPOWER_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))
    return ensure_dir(path, "HORSEPOWER_DATA_DIR")


def config_dir() -> Path:
    """The user config dir (prices live here); created if missing."""
    override = os.environ.get("HORSEPOWER_CONFIG_DIR")
    path = Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))
    return ensure_dir(path, "HORSEPOWER_CONFIG_DIR")


def history_db_path(directory: str | os.PathLike[str] | None = None) -> Path:
    """Path of the history database in ``directory`` (default: ``data_dir()``)."""
    base = ensure_dir(Path(directory), "HORSEPOWER_DATA_DIR") if directory is not None else data_dir()
    return base / DB_NAME


def prices_path(directory: str | os.PathLike[str] | None = None) -> Path:
    """Path of the prices JSON in ``directory`` (default: ``config_dir()``)."""
    base = ensure_dir(Path(directory), "HORSEPOWER_CONFIG_DIR") if directory is not None else config_dir()
    return base / PRICES_NAME
