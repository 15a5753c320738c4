"""Load a user's factory from a file or a module, and read its knobs from its signature.

This runs the user's code: call it only in a worker or a model-check process, never in
the window's or the CLI's own process (``profiler.runner.model_check``). An exception from
their code becomes ``UserCodeError`` with the full traceback in ``details``.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import importlib.util
import inspect
import logging
import os
import shutil
import sys
import tempfile
import traceback
import typing
from collections.abc import Callable
from types import ModuleType
from typing import Any

from profiler.error_text import first_line
from profiler.results.model_ref import FILE, PROTOCOL_DOC, ModelRef
from profiler.workloads.knobs import Knob, knob_from_parameter
from profiler.workloads.protocol import ProtocolError, WorkloadError

__all__ = ["Knob", "LibraryError", "UserCodeError", "factory_knobs", "load_factory", "traceback_of", "user_error"]

FILE_MODULE_PREFIX = "horsepower_model_"
#: this process's folder of import shims for file models (``_importable_in_children``)
_shim_dir: str | None = None

SHIM = """\"\"\"Import shim: loads {path!r} under this module's name (written by horsepower).\"\"\"
import importlib.util as _util
import sys as _sys

_spec = _util.spec_from_file_location(__name__, {path!r})
_module = _util.module_from_spec(_spec)
_sys.modules[__name__] = _module
_spec.loader.exec_module(_module)
"""


class UserCodeError(WorkloadError):
    """The user's own code raised; ``details`` is the full traceback (their bug to fix)."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


class LibraryError(UserCodeError):
    """A model library that is installed but does not import (``details``: its traceback)."""


def traceback_of(exc: BaseException) -> str:
    """The full traceback of ``exc`` as text."""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def user_error(message: str, exc: BaseException, kind: type[UserCodeError] = UserCodeError) -> UserCodeError:
    """A ``UserCodeError`` (or ``kind``) for ``exc`` raised by user code (call inside its ``except``)."""
    return kind(f"{message}: {first_line(exc)}", traceback_of(exc))


def load_module(ref: ModelRef) -> ModuleType:
    """The module a file or module reference names, imported (its top level runs)."""
    return _load_file(ref.target) if ref.kind == FILE else _import_module(ref.target)


def _load_file(path: str) -> ModuleType:
    digest = hashlib.sha256(path.encode()).hexdigest()[:10]
    stem = "".join(c if c.isalnum() else "_" for c in os.path.splitext(os.path.basename(path))[0])
    name = f"{FILE_MODULE_PREFIX}{stem}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ProtocolError(f"{path} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # so the file can import the modules beside it
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        del sys.modules[name]
        raise user_error(f"{os.path.basename(path)} does not import", exc) from None
    _importable_in_children(name, path)
    return module


def _importable_in_children(name: str, path: str) -> None:
    """Make ``import <name>`` load ``path`` in child processes too (DataLoader workers, with
    any start method): a shim module of that name in a folder on ``sys.path``, which spawn and
    forkserver children receive from their parent (fork children share ``sys.modules``). So a
    Dataset class defined in the user's file unpickles in a worker. The folder is removed at exit,
    or (a process that ends with ``os._exit`` or is killed) by the next ``lifeline.temp_prefix``."""
    global _shim_dir
    try:
        if _shim_dir is None:
            from profiler.lifeline import temp_prefix  # named with this pid: swept once this process is gone

            _shim_dir = tempfile.mkdtemp(prefix=temp_prefix("models"))
            atexit.register(shutil.rmtree, _shim_dir, True)
        shim = os.path.join(_shim_dir, f"{name}.py")
        if not os.path.exists(shim):
            with open(shim, "w", encoding="utf-8") as fh:
                fh.write(SHIM.format(path=os.path.abspath(path)))
    except OSError as exc:  # no writable temp folder: fork children still share sys.modules
        logging.getLogger(__name__).warning("file model %s will not import in loader workers: %s", path, exc)
        return
    if _shim_dir not in sys.path:
        sys.path.append(_shim_dir)


def _import_module(dotted: str) -> ModuleType:
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError as exc:
        if exc.name and (dotted == exc.name or dotted.startswith(exc.name + ".")):
            raise WorkloadError(f"no module named {exc.name!r} in this environment: --model package.module:"
                                "factory takes a module Python can import (or give a file: "
                                "path/to/file.py:factory)") from None
        raise user_error(f"module {dotted} does not import", exc) from None
    except (Exception, SystemExit) as exc:
        raise user_error(f"module {dotted} does not import", exc) from None


def load_factory(ref: ModelRef) -> Callable[..., Any]:
    """The factory function a file or module reference names."""
    module = load_module(ref)
    where = os.path.basename(ref.target) if ref.kind == FILE else ref.target
    fn = getattr(module, ref.factory, None)
    if fn is None:
        found = sorted(n for n, v in vars(module).items()
                       if inspect.isfunction(v) and not n.startswith("_") and v.__module__ == module.__name__)
        hint = f"functions there: {', '.join(found[:8])}" if found else "it defines no functions"
        raise ProtocolError(f"{where} has no {ref.factory!r} ({hint}); name the factory that returns the "
                            f"workload (the workload protocol: {PROTOCOL_DOC})")
    if not callable(fn):
        raise ProtocolError(f"{ref.factory} in {where} is {type(fn).__name__}, not a function: name the "
                            f"factory that returns the workload (the workload protocol: {PROTOCOL_DOC})")
    return typing.cast(Callable[..., Any], fn)


def factory_knobs(fn: Callable[..., Any], who: str) -> dict[str, Knob]:
    """Knobs of a factory: its keyword arguments with an ``int``, ``float``, ``bool`` or ``str``
    default (``knobs.knob_from_parameter``: help from ``Annotated``, choices from ``Literal``).

    A parameter without a default is an error: the engine calls the factory with knobs only.
    Parameters with other defaults (None, a list) are left at their defaults.
    """
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return {}
    hints = _hints(fn)
    knobs: dict[str, Knob] = {}
    for p in signature.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is p.empty:
            raise ProtocolError(f"{who} has a parameter {p.name!r} with no default: the engine calls the factory "
                                f"with knobs only, so give every parameter a default (e.g. {p.name}: int = 64)")
        if p.kind is p.POSITIONAL_ONLY:
            continue
        knob = knob_from_parameter(p.name, p.default, hints.get(p.name, p.annotation))
        if knob is not None:
            knobs[p.name] = knob
    return knobs


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception:  # unresolvable forward references: fall back to raw annotations
        return {}
