"""The files a user's model is made of: its wrapper and the local modules it imports.

A wrapper (``train_gpt.py:build``) usually imports the model from a file beside it
(``from model import GPT``). History must know when either changes, so a model's hash covers
the wrapper and every ``.py`` file under the wrapper's folder that it imports, directly or
through another such file, found by reading ``import`` statements with ``ast`` (nothing is
run, so the window and the CLI can call this). Imports that resolve outside the folder
(installed packages, the standard library) are not the model's own and are left out.
Thread-safe.
"""

from __future__ import annotations

import ast
import hashlib
import os

MAX_FILES = 200  # a folder tree this large is a project, not a model: stop following imports


def local_imports(path: str, root: str | None = None) -> list[str]:
    """Absolute paths of the ``.py`` files under ``root`` (default: ``path``'s folder) that
    ``path`` imports, directly or indirectly, sorted; ``path`` itself is not in the list."""
    start = os.path.realpath(path)
    top = os.path.realpath(root or os.path.dirname(start))
    seen = {start}
    todo = [start]
    while todo and len(seen) < MAX_FILES:
        current = todo.pop()
        for found in _imported_files(current, top):
            if found not in seen:
                seen.add(found)
                todo.append(found)
    seen.discard(start)
    return sorted(seen)


def sources_hash(path: str, root: str | None = None) -> str:
    """sha256 of the wrapper alone when it imports no local module (as before), else of every
    file's path relative to the folder and its bytes' sha256, the wrapper first."""
    others = local_imports(path, root)
    if not others:
        return sha256_file(path)
    top = os.path.realpath(root or os.path.dirname(os.path.realpath(path)))
    digest = hashlib.sha256()
    for file in [os.path.realpath(path), *others]:
        digest.update(f"{os.path.relpath(file, top)}\0{sha256_file(file)}\n".encode())
    return digest.hexdigest()


def sha256_file(path: str) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _imported_files(path: str, top: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read(), filename=path)
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return []
    here = os.path.dirname(path)
    bases = [here] if here == top else [here, top]
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found += _resolve(alias.name.split("."), bases)
        elif isinstance(node, ast.ImportFrom):
            parts = (node.module or "").split(".") if node.module else []
            if node.level:
                base = here
                for _ in range(node.level - 1):
                    base = os.path.dirname(base)
                search = [base]
            else:
                search = bases
            found += _resolve(parts, search)
            for alias in node.names:
                found += _resolve([*parts, alias.name], search, packages=False)
    return [f for f in found if _inside(f, top)]


def _resolve(parts: list[str], bases: list[str], packages: bool = True) -> list[str]:
    """The files ``import a.b.c`` runs from the first base that has them: each package's
    ``__init__.py`` on the way and the module itself."""
    for base in bases:
        files: list[str] = []
        folder = base
        for i, part in enumerate(parts):
            if not part:
                continue
            module, package = os.path.join(folder, f"{part}.py"), os.path.join(folder, part, "__init__.py")
            if os.path.isfile(package):
                files.append(package)
                folder = os.path.join(folder, part)
            elif os.path.isfile(module) and i == len(parts) - 1:
                files.append(module)
            else:
                files = []
                break
        if files or (not parts and packages):
            return [os.path.realpath(f) for f in files]
    return []


def _inside(path: str, top: str) -> bool:
    try:
        return os.path.commonpath([path, top]) == top
    except ValueError:  # another drive (Windows)
        return False
