"""How a user's own model is named: parse a ``--model`` reference, label it, hash its file.

Three forms (the workload protocol is in docs/YOUR_MODEL.md):

- ``path/to/file.py:factory``: a Python file, loaded as a module without being installed;
- ``package.module:factory``: a module importable from the current environment;
- ``hf:NAME``, ``timm:NAME``, ``torchvision:NAME``: a model library's architecture, built with
  random weights and no download (``hf:`` also takes a path to a ``config.json``).

Everything here is pure text and file work: nothing imports, let alone runs, the user's code,
so the parent process (CLI, window) can call it safely. Thread-safe.
"""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import os
from dataclasses import dataclass
from typing import Any

from profiler.results.model_sources import sha256_file, sources_hash

USER_WORKLOAD = "user"  # RunSpec.workload of every run of a user's model (RunSpec.model names it)
PROTOCOL_DOC = "docs/YOUR_MODEL.md"
#: reference prefix -> the library (import name) that builds it
LIBRARIES = {"hf": "transformers", "timm": "timm", "torchvision": "torchvision"}
FILE, MODULE, LIBRARY = "file", "module", "library"
FORMS = "path/to/file.py:factory, package.module:factory, hf:NAME, timm:NAME or torchvision:NAME"
#: function names that usually build a workload, offered first when a file's factories are listed
LIKELY_FACTORIES = ("build", "make", "create", "factory", "model")


class ModelRefError(ValueError):
    """A model reference that cannot name a model; the message is one line for a user."""


@dataclass(frozen=True)
class ModelRef:
    """A parsed reference. ``target`` is the file path (absolute), the dotted module name or
    the library's model name; ``factory`` the function's name (empty for a library)."""

    kind: str
    target: str
    factory: str = ""
    library: str = ""

    @property
    def text(self) -> str:
        """The canonical reference string (stored as ``RunSpec.model``)."""
        if self.kind == LIBRARY:
            return f"{self.library}:{self.target}"
        return f"{self.target}:{self.factory}"

    @property
    def label(self) -> str:
        """Short and readable: ``gpt2 (hf)``, ``plain_model.py:build``, ``pkg.models:build``."""
        if self.kind == LIBRARY:
            name = os.path.basename(self.target) if self.is_config_file else self.target
            return f"{name} ({self.library})"
        if self.kind == FILE:
            return f"{os.path.basename(self.target)}:{self.factory}"
        return f"{self.target}:{self.factory}"

    @property
    def is_config_file(self) -> bool:
        """An ``hf:`` reference to a config file or folder (stored as an absolute path; a
        model name, even ``org/name``, never is one)."""
        return self.kind == LIBRARY and self.library == "hf" and os.path.isabs(self.target)


def parse_model_ref(text: str, base_dir: str | None = None) -> ModelRef:
    """Parse ``text``; file paths become absolute (relative to ``base_dir``, default the cwd).

    Raises ``ModelRefError`` naming the accepted forms.
    """
    text = (text or "").strip()
    if not text:
        raise ModelRefError(f"--model needs a reference: {FORMS} (the workload protocol: {PROTOCOL_DOC})")
    prefix, sep, name = text.partition(":")
    if sep and prefix in LIBRARIES:
        if not name.strip():
            raise ModelRefError(f"{prefix}: needs a model name after the colon, e.g. {prefix}:"
                                f"{'gpt2' if prefix == 'hf' else 'resnet18'}")
        name = name.strip()
        if prefix == "hf":
            path = os.path.join(base_dir or os.getcwd(), os.path.expanduser(name))
            if name.endswith(".json") or os.path.isabs(name) or os.path.exists(path):
                name = os.path.abspath(path)
        return ModelRef(LIBRARY, name, "", prefix)
    target, sep, factory = text.rpartition(":")
    if not sep or not factory.isidentifier() or not target:
        example = f"{text}:build"
        raise ModelRefError(f"{text!r} names no factory: add the function that builds the workload after a "
                            f"colon, e.g. {example} (the workload protocol: {PROTOCOL_DOC})")
    if target.endswith(".py") or "/" in target or "\\" in target or os.sep in target:
        path = os.path.abspath(os.path.join(base_dir or os.getcwd(), os.path.expanduser(target)))
        return ModelRef(FILE, path, factory)
    if all(part.isidentifier() for part in target.split(".")):
        return ModelRef(MODULE, target, factory)
    raise ModelRefError(f"{target!r} is neither a Python file (path/to/file.py:{factory}) nor an importable "
                        f"module (package.module:{factory})")


def model_label(model: str) -> str:
    """``ModelRef.label`` of a stored reference string; the string itself if it does not parse."""
    try:
        return parse_model_ref(model).label
    except ModelRefError:
        return model


def check_reference(ref: ModelRef) -> None:
    """Checks that run no user code: the file exists, the top-level module or library is
    installed. Raises ``ModelRefError``; what only importing can tell is checked later."""
    if ref.kind == FILE:
        if not os.path.exists(ref.target):
            raise ModelRefError(f"no such file: {ref.target} (--model path/to/file.py:{ref.factory})")
        if not os.path.isfile(ref.target) or not ref.target.endswith(".py"):
            raise ModelRefError(f"{ref.target} is not a Python file: --model takes path/to/file.py:{ref.factory}")
    elif ref.kind == MODULE:
        top = ref.target.split(".")[0]
        if _find_spec(top) is None:
            raise ModelRefError(f"no module named {top!r} in this environment: --model package.module:factory "
                                f"takes a module Python can import (or give a file: path/to/file.py:factory)")
    else:
        module = LIBRARIES[ref.library]
        if _find_spec(module) is None:
            raise ModelRefError(f"{ref.library}: models need the {module} library, which is not installed here "
                                f"(pip install {module})")
        if ref.is_config_file and not os.path.exists(ref.target):
            raise ModelRefError(f"no such config file: {ref.target} (hf:path/to/config.json)")


def _find_spec(name: str) -> Any:
    """``importlib.util.find_spec`` of a top-level name: consults finders, executes nothing."""
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


def model_file(ref: ModelRef) -> str | None:
    """The file whose bytes define the model: the .py file, the module's source file (found
    without importing anything), or an ``hf:`` config file; None for a library name."""
    if ref.kind == FILE:
        return ref.target
    if ref.kind == LIBRARY:
        if not ref.is_config_file:
            return None
        return os.path.join(ref.target, "config.json") if os.path.isdir(ref.target) else ref.target
    return _module_origin(ref.target)


def _module_origin(dotted: str) -> str | None:
    path: list[str] | None = None
    spec = None
    for part in dotted.split("."):
        spec = importlib.machinery.PathFinder.find_spec(part, path)
        if spec is None:
            return None
        path = list(spec.submodule_search_locations or [])
    if spec is None or not spec.has_location or not spec.origin or not os.path.isfile(spec.origin):
        return None
    return spec.origin


def model_hash(ref: ModelRef) -> str:
    """What the model is made of, hashed: the wrapper file and the local modules it imports
    (``model_sources.sources_hash``; the file's own sha256 when it imports none), an ``hf:``
    config file's sha256, or "" when the model has no file of its own."""
    path = model_file(ref)
    if not path or not os.path.isfile(path):
        return ""
    return sources_hash(path) if path.endswith(".py") else sha256_file(path)


def model_spec_fields(text: str, base_dir: str | None = None) -> dict[str, str]:
    """The ``RunSpec`` fields naming a user's model: ``workload``, ``model``, ``model_hash``.

    ``RunSpec(**model_spec_fields("examples/plain_model.py:build"), device="cpu")``. Runs the
    static checks (``check_reference``); raises ``ModelRefError``.
    """
    ref = parse_model_ref(text, base_dir)
    check_reference(ref)
    return {"workload": USER_WORKLOAD, "model": ref.text, "model_hash": model_hash(ref)}


def factories_in(path: str) -> list[str]:
    """Top-level public function names of the Python file at ``path``, likely factories first
    (``build``, ``make``...), for a picker that asks which one builds the workload. Parses the
    file with ``ast`` and runs none of it; [] when it cannot be read or parsed."""
    try:
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read(), filename=path)
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return []
    names = [node.name for node in tree.body
             if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_")]
    rank = {name: i for i, name in enumerate(LIKELY_FACTORIES)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), names.index(n)))
