"""Read the advisor's shipped files (``resources/hardware``, ``resources/reference_runs``).

Through ``importlib.resources`` so a source checkout, a wheel and the frozen app read the same
files; falls back to the package directory for an editable install made before
``resources/__init__.py`` existed (the same fallback as ``profiler.devices.peaks``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

HARDWARE_DIR = "hardware"
REFERENCE_DIR = "reference_runs"
PUBLISHED_DIR = "published"


def resource_dir(name: str) -> Path:
    """Filesystem path of a shipped resource folder (``hardware``, ``reference_runs``)."""
    try:
        path = Path(str(resources.files("resources").joinpath(name)))
        if path.is_dir():
            return path
    except (OSError, TypeError):
        pass
    import resources as package

    for entry in getattr(package, "__path__", []):
        candidate = Path(entry) / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"resource folder {name!r} is missing from this installation")


def read_text(folder: str, name: str) -> str:
    return (resource_dir(folder) / name).read_text(encoding="utf-8")
