"""Where Horsepower keeps its files: data (history), config (prices) and cache (measured ceilings).

``HORSEPOWER_DATA_DIR``, ``HORSEPOWER_CONFIG_DIR`` and ``HORSEPOWER_CACHE_DIR`` override the
platform defaults (tests and portable installs use them). Directories are created on first use.
A top-level module, outside the layers, so that every layer may ask where its files go.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "horsepower"


def _dir(env: str, kind: str) -> Path:
    override = os.environ.get(env)
    if override:
        path = Path(override)
    else:
        import platformdirs  # only for the platform default: an override needs no platformdirs

        path = Path(getattr(platformdirs, f"user_{kind}_dir")(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """The user data dir (history lives here); created if missing."""
    return _dir("HORSEPOWER_DATA_DIR", "data")


def config_dir() -> Path:
    """The user config dir (prices live here); created if missing."""
    return _dir("HORSEPOWER_CONFIG_DIR", "config")


def cache_dir() -> Path:
    """The user cache dir (measured GEMM ceilings live here: safe to delete); created if missing."""
    return _dir("HORSEPOWER_CACHE_DIR", "cache")
