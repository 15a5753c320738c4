"""Icons, the desktop entry and other files shipped with Horsepower.

Loaded through ``importlib.resources`` so the same calls work from a source checkout,
an installed wheel and the frozen PyInstaller bundle (which collects this folder).
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

ICON_SIZES_PX = (16, 24, 32, 48, 64, 128, 256, 512)
APP_ID = "horsepower"


def resource_path(name: str) -> Path:
    """Filesystem path of a shipped file, e.g. ``resource_path("horsepower.svg")``."""
    with as_file(files(__name__).joinpath(name)) as path:
        return Path(path)


def icon_svg() -> Path:
    """The scalable app icon."""
    return resource_path(f"{APP_ID}.svg")


def icon_png(size_px: int) -> Path:
    """The pre-rendered app icon at one of ``ICON_SIZES_PX``."""
    if size_px not in ICON_SIZES_PX:
        raise ValueError(f"no {size_px} px icon; sizes: {ICON_SIZES_PX}")
    return resource_path(f"icons/{APP_ID}-{size_px}.png")
