"""Child processes that never import from the working directory and never outlive their parent.

Every helper process of the engine (probes, the model check, the training worker, the elastic
agent and its ranks) is a Python interpreter. Two rules hold for all of them:

- **Isolated from the working directory.** ``python -m`` and ``python -c`` (what
  ``multiprocessing``'s spawn runs) put the working directory first on ``sys.path``, so a
  ``typing.py`` there would run. ``python_command`` adds ``-P`` and ``child_env`` sets
  ``PYTHONSAFEPATH=1`` (inherited by the children's own children, such as ranks started by the
  elastic agent) and puts this package's root on ``PYTHONPATH`` explicitly, without empty or
  relative entries. ``isolate_spawn`` does the same for ``multiprocessing`` children. ``-I``
  is not used: it would also drop ``PYTHONPATH`` and the user site, which venvs and tests use.
- **Dead with their parent, whatever the parent died of.** ``die_with_parent`` (called first
  thing in every child) asks Linux to SIGKILL the child when its parent dies
  (``PR_SET_PDEATHSIG``), and checks that the parent did not die before that; elsewhere a
  daemon thread watches the parent id twice a second. The parent's pid travels in
  ``HORSEPOWER_PARENT_PID`` (``child_env``) or comes from ``multiprocessing``.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PARENT_PID_ENV = "HORSEPOWER_PARENT_PID"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_S = 0.5  # how often the fallback watcher looks at the parent id (seconds)


def package_root() -> str:
    """The directory holding the ``profiler`` package in use (so children import this tree)."""
    return str(Path(__file__).resolve().parent.parent)


def python_command(module: str, *args: str) -> list[str]:
    """``[python, -P, -m, module, *args]``: the working directory is not on the child's path."""
    return [sys.executable, "-P", "-m", module, *args]


def safe_pythonpath(current: str | None) -> str:
    """``PYTHONPATH`` with this package's root first and no entry that means "the working
    directory" (empty, ``.`` or any relative path)."""
    entries = [package_root()]
    for entry in (current or "").split(os.pathsep):
        if entry and os.path.isabs(entry) and entry not in entries:
            entries.append(entry)
    return os.pathsep.join(entries)


def child_env(extra: dict[str, str] | None = None, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of an isolated child: ``base`` (default ``os.environ``) with a safe
    ``PYTHONPATH``, ``PYTHONSAFEPATH=1`` and this process as ``HORSEPOWER_PARENT_PID``."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = safe_pythonpath(env.get("PYTHONPATH"))
    env["PYTHONSAFEPATH"] = "1"
    env[PARENT_PID_ENV] = str(os.getpid())
    env.update(extra or {})
    return env


def isolate_spawn() -> None:
    """Make ``multiprocessing`` spawn children start isolated (they inherit ``os.environ``).

    Idempotent; called before every ``spawn`` context starts a process."""
    os.environ["PYTHONSAFEPATH"] = "1"
    os.environ["PYTHONPATH"] = safe_pythonpath(os.environ.get("PYTHONPATH"))


def _expected_parent(parent_pid: int | None) -> int:
    """The parent to outlive: given, else ``multiprocessing``'s, else ``HORSEPOWER_PARENT_PID``."""
    if parent_pid:
        return parent_pid
    import multiprocessing

    parent = multiprocessing.parent_process()
    if parent is not None and parent.pid:
        return int(parent.pid)
    text = os.environ.get(PARENT_PID_ENV, "")
    return int(text) if text.isdigit() else os.getppid()


def _kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _prctl_deathsig() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent(parent_pid: int | None = None) -> str:
    """Arrange for this process to be SIGKILLed when its parent dies; returns how ("prctl" or
    "watcher"). When the parent is already gone, this process kills itself at once."""
    expected = _expected_parent(parent_pid)
    how = "prctl" if _prctl_deathsig() else "watcher"
    if os.getppid() != expected:  # the parent died before we asked (we were re-parented)
        log.warning("parent %d is gone; exiting", expected)
        _kill_self()
    if how == "watcher":
        def watch() -> None:
            stop = threading.Event()
            while not stop.wait(WATCH_S):
                if os.getppid() != expected:
                    _kill_self()

        threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    return how


def adopt_as_parent() -> None:
    """Name this process the parent its children must outlive no longer (sets
    ``HORSEPOWER_PARENT_PID``): for a child that starts children of its own with
    ``os.environ`` (the elastic agent starting ranks)."""
    os.environ[PARENT_PID_ENV] = str(os.getpid())


def spawn_entry(target: str, *args: object) -> None:
    """The target of every ``multiprocessing`` spawn child: ``die_with_parent`` first, then
    ``target`` ("package.module:function") with ``args``. Spawn imports the target's module
    before running it; this module is light, so the child is bound to its parent within
    milliseconds instead of after importing torch."""
    die_with_parent()
    import importlib

    module_name, _, function = target.partition(":")
    getattr(importlib.import_module(module_name), function)(*args)


TEMP_TAG = "horsepower-tmp"
_swept = threading.Event()


def temp_prefix(kind: str) -> str:
    """The prefix of a temporary file or directory this process owns: ``horsepower-tmp.<pid>.
    <kind>.``. Its owner's pid is in the name, so what a killed process left behind is found
    and removed (``remove_orphaned_temp``, run once per process before the first prefix)."""
    if not _swept.is_set():
        _swept.set()
        remove_orphaned_temp()
    return f"{TEMP_TAG}.{os.getpid()}.{kind}."


def _alive(psutil: Any, pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped, does not count)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def remove_orphaned_temp(directory: str | None = None) -> list[str]:
    """Remove every ``horsepower-tmp.<pid>.*`` entry in the temp dir whose process is gone;
    the paths removed. Other files (a rescued result, ``horsepower-<run>.json``) are kept."""
    import shutil
    import tempfile

    import psutil

    base = Path(directory or tempfile.gettempdir())
    removed = []
    for entry in base.glob(f"{TEMP_TAG}.*.*"):
        pid_text = entry.name.split(".")[1]
        if not pid_text.isdigit() or _alive(psutil, int(pid_text)):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(str(entry))
        except OSError as exc:
            log.debug("could not remove %s: %s", entry, exc)
    if removed:
        log.info("removed %d temporary file(s) left by processes that are gone", len(removed))
    return removed
