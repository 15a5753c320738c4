"""Where Horsepower keeps its files: data (history), config (prices) and cache (measured ceilings).

``HORSEPOWER_DATA_DIR``, ``HORSEPOWER_CONFIG_DIR`` and ``HORSEPOWER_CACHE_DIR`` override the
platform defaults (tests and portable installs use them). Directories are created on first use.
A top-level module, outside the layers, so that every layer may ask where its files go.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "horsepower"


class UserDirError(OSError):
    """A data, config or cache directory that cannot be created or used; ``str()`` is one line
    for a user, naming the variable that moves it."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "cannot use a Horsepower directory"


def ensure_dir(path: Path, env: str) -> Path:
    """Create ``path`` if missing; UserDirError (naming ``env``, which moves it) if it cannot be
    (a file in the way, a read-only parent, a parent that is a file)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = "it is a file" if path.exists() and not path.is_dir() else exc.strerror or str(exc)
        raise UserDirError(f"cannot use directory {path}: {reason} (set {env} to a writable directory)") from exc
    if not path.is_dir():
        raise UserDirError(f"cannot use directory {path}: it is not a directory (set {env} to a directory)")
    return path


def _dir(env: str, kind: str) -> Path:
    override = os.environ.get(env)
    if override:
        path = Path(override)
    else:
        import platformdirs  # only for the platform default: an override needs no platformdirs

        path = Path(getattr(platformdirs, f"user_{kind}_dir")(APP_NAME))
    return ensure_dir(path, env)


def data_dir() -> Path:
    """The user data dir (history lives here); created if missing."""
    return _dir("HORSEPOWER_DATA_DIR", "data")


def config_dir() -> Path:
    """The user config dir (prices live here); created if missing."""
    return _dir("HORSEPOWER_CONFIG_DIR", "config")


def cache_dir() -> Path:
    """The user cache dir (measured GEMM ceilings live here: safe to delete); created if missing."""
    return _dir("HORSEPOWER_CACHE_DIR", "cache")
