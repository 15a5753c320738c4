"""The window's settings, kept across restarts in a small JSON file. Qt-free.

``window.json`` in the user config dir (``HORSEPOWER_CONFIG_DIR`` overrides it, as for the
prices) holds plain values: the sidebar's run settings, ticked devices, the theme, the
window size, the Sweep form, the Value job and History's filter. A missing, unreadable or
damaged file is set aside and gives the defaults; a value of the wrong type is ignored, never
trusted (numbers are checked by ``profiler.numbers`` where they are used).
Writes are complete-or-nothing (temporary file, then rename).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from profiler import numbers
from profiler.outputs import aside_path

log = logging.getLogger(__name__)

FILE_NAME = "window.json"
SCHEMA = 1


def preferences_path(directory: str | None = None) -> Path:
    from profiler.history.paths import config_dir

    return (Path(directory) if directory else config_dir()) / FILE_NAME


class Preferences:
    """Typed get/set over one JSON object; ``save`` writes it out."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or preferences_path()
        self.values: dict[str, Any] = {}
        self.load()

    def load(self) -> None:
        """Read the file; a damaged one (bad JSON, nested too deep, NaN) is set aside with a
        notice in the log, never overwritten, and the defaults are used."""
        try:
            data = numbers.json_loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except OSError as exc:
            log.warning("window settings %s unreadable (%s); using defaults", self.path, exc)
            return
        except ValueError as exc:
            try:
                aside = self.path.rename(aside_path(self.path, "bad"))
                log.warning("window settings %s damaged (%s); set aside as %s, using defaults",
                            self.path, str(exc)[:160], aside.name)
            except OSError:
                log.warning("window settings %s damaged (%s); using defaults", self.path, str(exc)[:160])
            return
        if isinstance(data, dict) and data.get("schema") == SCHEMA:
            self.values = {k: v for k, v in data.items() if k != "schema"}

    def get(self, key: str, default: Any, kind: type | tuple[type, ...] | None = None) -> Any:
        """The stored value when it has the type of ``default`` (or ``kind``), else ``default``."""
        value = self.values.get(key, default)
        want = kind or type(default)
        if isinstance(value, bool) and want in (int, float):
            return default
        return value if isinstance(value, want) else default

    def section(self, key: str) -> dict[str, Any]:
        value = self.values.get(key)
        return dict(value) if isinstance(value, dict) else {}

    def set(self, key: str, value: Any) -> None:
        self.values[key] = value

    def save(self) -> bool:
        """Write the file; False (logged) when it cannot be written: settings are a comfort."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(json.dumps({"schema": SCHEMA, **self.values}, indent=1, sort_keys=True),
                           encoding="utf-8")
            tmp.replace(self.path)
            return True
        except (OSError, TypeError, ValueError) as exc:
            log.warning("window settings not saved to %s: %s", self.path, exc)
            return False
