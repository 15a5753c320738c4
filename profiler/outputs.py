"""Output files a user names (``--json``, ``export``, reports): checked before any work, written
so that a failed write never leaves half a file in the way.

``check_output_path`` runs before a run or an export starts, so bad input changes nothing.
``write_text`` writes ``-`` to stdout and regular files through a temporary file in the same
directory, replaced over the target only once it is complete.
"""

from __future__ import annotations

import os
import sys


class OutputPathError(ValueError):
    """An output path that cannot be written; the message says why, for a user."""


def check_output_path(path: str | None) -> None:
    """Raise OutputPathError unless ``path`` (None or ``-``: nothing to check) can be written."""
    if not path or path == "-":
        return
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise OutputPathError(f"cannot write {path}: directory {parent} does not exist")
    if os.path.isdir(path):
        raise OutputPathError(f"cannot write {path}: it is a directory")
    _probe_directory(path, parent)


def _probe_directory(path: str, parent: str) -> None:
    """Create and remove an empty file in ``parent``: the one honest test that a file can be
    written there (permission bits say nothing to root, nor about a read-only mount)."""
    probe = os.path.join(parent, f".horsepower-write-check-{os.getpid()}")
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return  # our own probe from a moment ago: the directory is writable
    except OSError as exc:
        raise OutputPathError(f"cannot write {path}: {exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(probe)


def write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` (``-``: stdout), replacing the file only once complete."""
    if path == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
        return
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
