"""The house rules a machine can check: the engine never imports Qt, pyqtgraph or the GUI; the
layers contracts hold; ruff and mypy find nothing."""

from __future__ import annotations

import ast
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import profiler
from tests.paths import REPO_ROOT

REPO = REPO_ROOT


def all_profiler_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(profiler.__path__, "profiler.")
            if not m.name.endswith(".__main__")]


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
        "import sys, gui.app.launcher, profiler.cli\n"
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
def test_mypy_finds_nothing_in_the_engine_or_the_window() -> None:
    """``mypy profiler gui``: clean (the few per-module exceptions PySide6's stubs force are listed,
    with their reason, in pyproject.toml)."""
    proc = subprocess.run([sys.executable, "-m", "mypy", "profiler", "gui"], capture_output=True, text=True,
                          timeout=600, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr


#: words that name a figure the engine computes; dividing one in the window means computing it there
FIGURE_WORDS = ("sample", "flop", "peak", "speedup", "mfu", "baseline", "energy", "power")


def _names_figure(names: list[str]) -> bool:
    for name in names:
        tokens = re.split(r"[^a-z0-9]+", name)
        if "step_time" in name or any(t.startswith(w) for t in tokens for w in FIGURE_WORDS):
            return True
    return False


def _names(node: ast.AST) -> list[str]:
    found = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.append(sub.id)
        elif isinstance(sub, ast.Attribute):
            found.append(sub.attr)
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            found.append(sub.value)
    return [n.lower() for n in found]


def test_no_window_module_computes_a_figure() -> None:
    """samples/s, FLOP/s, MFU, speedup, per-sample energy: computed in profiler.metrics only."""
    offenders = []
    for path in sorted((REPO / "gui").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.FloorDiv)):
                if _names_figure(_names(node)):
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(node)}")
    assert not offenders, "compute these in profiler.metrics:\n" + "\n".join(offenders)


def _strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """The groups of two or more modules that reach each other (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            nxt = next(targets, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(edges[nxt]))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_no_import_cycle_between_any_two_modules() -> None:
    """Counting imports inside functions and under ``TYPE_CHECKING``, no module of ``profiler`` or
    ``gui`` reaches itself again; and the cycle contract in pyproject.toml ignores no import."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("profiler", "gui", include_external_packages=False, exclude_type_checking_imports=False)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert _strongly_connected(edges) == []
    assert "ignore_imports" not in (REPO / "pyproject.toml").read_text()
