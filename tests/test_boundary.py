"""The house rules a machine can check: the engine never imports Qt, pyqtgraph or the GUI; the
layers contracts hold; ruff and mypy find nothing."""

from __future__ import annotations

import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import profiler

REPO = Path(__file__).resolve().parents[1]


def all_profiler_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(profiler.__path__, "profiler.")]


def test_importing_every_engine_module_loads_no_qt() -> None:
    modules = all_profiler_modules()
    assert len(modules) > 10
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'gui', 'shiboken6'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_launcher_imports_no_qt_or_torch_for_headless_commands() -> None:
    code = (
        "import sys, gui.launcher, profiler.cli\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'torch'))\n"
        "sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _tool(name: str) -> str:
    """The console script of a test extra (installed beside this Python)."""
    path = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert path, f"{name} is missing: install the test extras (pip install -e '.[test]')"
    return path


def test_import_linter_contracts_hold() -> None:
    proc = subprocess.run([_tool("lint-imports")], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "broken" not in proc.stdout.lower().replace("0 broken", "")


def test_ruff_finds_nothing() -> None:
    proc = subprocess.run([_tool("ruff"), "check", "--output-format", "concise", "."], capture_output=True,
                          text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_mypy_finds_nothing_in_the_engine() -> None:
    proc = subprocess.run([sys.executable, "-m", "mypy", "profiler"], capture_output=True, text=True,
                          timeout=600, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
