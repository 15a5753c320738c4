"""Is there a display to open a window on? Qt-free so the launcher can ask cheaply."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

HEADLESS_HINT = (
    "use `horsepower run` for headless runs "
    "(or run the window under `xvfb-run`, or set QT_QPA_PLATFORM=offscreen)"
)


def display_problem(
    env: Mapping[str, str] | None = None, platform: str | None = None
) -> str | None:
    """Why no window can open here, in a user's words; None when one can.

    Only Linux/BSD need a display server: Windows and macOS always have one. An explicit
    ``QT_QPA_PLATFORM`` (offscreen, xcb, wayland, vnc, ...) is trusted as the user's choice.
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "cygwin", "darwin")):
        return None
    if env.get("QT_QPA_PLATFORM") or env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no display found: neither DISPLAY nor WAYLAND_DISPLAY is set and QT_QPA_PLATFORM "
        f"is not set; {HEADLESS_HINT}"
    )
