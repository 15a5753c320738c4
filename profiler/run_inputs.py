"""Inputs are never outputs: the files a command reads, and the check that refuses an output
path naming one of them before any work starts.

A command's inputs are Horsepower's own files (the history database with its journal files,
every file in the config dir: settings, prices, ``hardware.json``, ``window.json``; every file
in the cache dir: the GEMM ceilings) and, for a run of the user's model, the model's file and
the modules beside it that it imports (found statically, nothing is imported). An output path
names an input when it resolves to the same file (same inode: symbolic and hard links too) or,
for a file that does not exist yet, the same absolute path (the database's ``-wal``).
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable
from pathlib import Path

from profiler.outputs import OutputPathError

DB_FAMILY = ("history.db", "history.db-wal", "history.db-shm", "history.db-journal")
MAX_OWN_FILES = 2000  # a config or cache dir holding more than this is listed only this far
MAX_MODEL_MODULES = 200


def _user_dir(env: str, kind: str) -> Path | None:
    """The data/config/cache dir as ``profiler.paths`` would use it, without creating it."""
    override = os.environ.get(env)
    if override:
        return Path(override)
    try:
        import platformdirs

        return Path(getattr(platformdirs, f"user_{kind}_dir")("horsepower"))
    except ImportError:
        return None


def own_files() -> list[Path]:
    """Horsepower's own files (see the module doc); the database's journal files even when absent."""
    found: list[Path] = []
    data = _user_dir("HORSEPOWER_DATA_DIR", "data")
    if data is not None:
        found += [data / name for name in DB_FAMILY]
    for env, kind in (("HORSEPOWER_CONFIG_DIR", "config"), ("HORSEPOWER_CACHE_DIR", "cache")):
        base = _user_dir(env, kind)
        if base is None or not base.is_dir():
            continue
        for count, path in enumerate(p for p in base.rglob("*") if p.is_file()):
            if count >= MAX_OWN_FILES:
                break
            found.append(path)
    return found


def _local_imports(source: Path) -> list[Path]:
    """Modules beside ``source`` that it imports (``import x``, ``from x import y``, ``from . import y``)."""
    try:
        tree = ast.parse(source.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return []
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
            elif node.level == 1:
                names.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
    found = []
    for name in sorted(names):
        for candidate in (source.parent / f"{name}.py", source.parent / name / "__init__.py"):
            if candidate.is_file():
                found.append(candidate)
    return found


def model_files(model: str) -> list[Path]:
    """The user model's file and the modules beside it that it imports (transitively)."""
    if not model:
        return []
    from profiler.results.model_ref import ModelRefError, model_file, parse_model_ref

    try:
        first = model_file(parse_model_ref(model))
    except ModelRefError:
        return []
    if not first:
        return []
    seen: list[Path] = []
    todo = [Path(first)]
    while todo and len(seen) < MAX_MODEL_MODULES:
        path = todo.pop()
        if path in seen:
            continue
        seen.append(path)
        if path.suffix == ".py":
            todo += _local_imports(path)
    return seen


def _same_file(a: str, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist: compare where they would be
        return os.path.realpath(a) == os.path.realpath(b)


def refuse_inputs(path: str | None, inputs: Iterable[Path]) -> None:
    """OutputPathError when ``path`` (None or ``-``: nothing) is one of ``inputs``."""
    if not path or path == "-":
        return
    for item in inputs:
        if _same_file(path, item):
            raise OutputPathError(f"cannot write {path}: it is an input of this command ({item}); "
                                  "choose another output path")


def check_not_input(path: str | None, model: str = "") -> None:
    """OutputPathError when ``path`` is Horsepower's own file or the user model's (``model``)."""
    if not path or path == "-":
        return
    refuse_inputs(path, [*own_files(), *model_files(model)])
