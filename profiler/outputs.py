"""Output files a user names (``--json``, ``export``, reports): checked before any work, written
so that nothing at the path is clobbered and a failed write never leaves half a file.

``check_output_path`` runs before a run or an export starts, so bad input changes nothing. It
accepts ``-`` (stdout), a new path in a writable directory, a writable regular file, or a
character device or FIFO (``/dev/stdout``, ``/dev/null``, a named pipe), which are written
through. A symbolic link is followed deliberately: the file it points to is written and the
link is kept; a link to nothing is refused. Anything else (a directory, a socket, a block
device) is refused. Writability is checked by creating and removing a probe file next to the
target, without touching the target itself, so a read-only file system is found up front.

``write_text`` writes a regular file through a temporary file in the same directory, renamed
over the target only once it is complete (the old file's permissions are kept); a failure then
raises ``OutputWriteError`` with one line for a user, and the target is left as it was.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NEW, FILE, STREAM = "new", "file", "stream"
FIFO_WAIT_S = 10.0  # how long a FIFO output waits for a reader


class OutputPathError(ValueError):
    """An output path that cannot be written; the message says why, for a user (bad input)."""


class OutputWriteError(OSError):
    """Writing an output failed after the work was done (disk full, device gone)."""


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def resolve_output(path: str) -> tuple[str, str]:
    """(the path to write, NEW | FILE | STREAM) for ``path``; OutputPathError if refused."""
    real = os.path.realpath(path) if os.path.islink(path) else os.path.abspath(path)
    if os.path.islink(path) and not os.path.lexists(real):
        raise OutputPathError(f"cannot write {path}: it is a symbolic link to {real}, which does not exist")
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        return real, NEW
    except OSError as exc:
        raise OutputPathError(f"cannot write {path}: {_reason(exc)}") from None
    if stat.S_ISREG(mode):
        return real, FILE
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return real, STREAM
    if stat.S_ISDIR(mode):
        raise OutputPathError(f"cannot write {path}: it is a directory")
    raise OutputPathError(f"cannot write {path}: it is not a regular file, a character device or a FIFO")


def _probe_directory(path: str, directory: str) -> None:
    """Create and remove an empty file in ``directory``: OutputPathError if that fails."""
    probe = os.path.join(directory, f".horsepower-probe-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise OutputPathError(f"cannot write {path}: {_reason(exc)} (in {directory})") from None
    os.close(fd)
    os.unlink(probe)


def check_output_path(path: str | None) -> None:
    """Raise OutputPathError unless ``path`` (None or ``-``: nothing to check) can be written."""
    if path is None or path == "-":
        return
    if not path.strip():
        raise OutputPathError("the output path is empty; name a file, or - for stdout")
    real, kind = resolve_output(path)
    if kind == STREAM:
        if not os.access(real, os.W_OK):
            raise OutputPathError(f"cannot write {path}: permission denied")
        return
    parent = os.path.dirname(real)
    if not os.path.isdir(parent):
        raise OutputPathError(f"cannot write {path}: directory {parent} does not exist")
    _probe_directory(path, parent)
    if kind == FILE and not os.access(real, os.W_OK):
        raise OutputPathError(f"cannot write {path}: the file is read-only")


def _ending(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` (``-``: stdout); OutputWriteError (one line) if it fails."""
    data = _ending(text)
    if path == "-":
        try:
            sys.stdout.write(data)
            sys.stdout.flush()
        except OSError as exc:
            raise OutputWriteError(f"cannot write to stdout: {_reason(exc)}") from None
        return
    try:
        real, kind = resolve_output(path)
    except OutputPathError as exc:
        raise OutputWriteError(str(exc)) from None
    try:
        if kind == STREAM:
            with os.fdopen(_open_stream(path, real), "w", encoding="utf-8") as fh:
                fh.write(data)
        else:
            _replace_file(real, kind, data)
    except OutputWriteError:
        raise
    except OSError as exc:
        raise OutputWriteError(f"cannot write {path}: {_reason(exc)}") from None


def _open_stream(path: str, real: str) -> int:
    """A write descriptor for a character device or FIFO. A FIFO is opened without blocking,
    retried for at most ``FIFO_WAIT_S`` while no process reads it (an ``open`` that blocks
    would hold the process, deaf to a SIGTERM, until a reader comes); OutputWriteError then."""
    if not stat.S_ISFIFO(os.stat(real).st_mode):
        return os.open(real, os.O_WRONLY)
    deadline = time.monotonic() + FIFO_WAIT_S
    while True:
        try:
            fd = os.open(real, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise
            if time.monotonic() > deadline:
                raise OutputWriteError(f"cannot write {path}: no process reads the FIFO "
                                       f"(waited {FIFO_WAIT_S:g} s)") from None
            time.sleep(0.05)
    os.set_blocking(fd, True)
    return fd


def _replace_file(real: str, kind: str, data: str) -> None:
    directory, name = os.path.split(real)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if kind == FILE:
            os.chmod(tmp, stat.S_IMODE(os.stat(real).st_mode))
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, real)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def rescue_copy(name: str, text: str) -> str | None:
    """Keep ``text`` in a new file in the temp dir when its real target failed; its path or None."""
    path = os.path.join(tempfile.gettempdir(), f"horsepower-{name}-{secrets.token_hex(3)}.json")
    try:
        write_text(path, text)
    except OutputWriteError:
        return None
    return path


@contextmanager
def stdout_kept_for_data() -> Iterator[None]:
    """Send everything written to stdout (``sys.stdout``, and fd 1: native libraries, spawned
    workers) to stderr for the block, so that a command printing data on stdout (``--json -``)
    prints nothing else there."""
    python_stdout = sys.stdout
    saved: int | None = None
    try:
        python_stdout.flush()
        saved = os.dup(1)
        os.dup2(2, 1)
    except (OSError, ValueError):
        saved = None
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        sys.stdout = python_stdout
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


def aside_path(path: Path, tag: str) -> Path:
    """A free name beside ``path`` for setting it aside: ``<name>.<tag>-<YYYYmmdd-HHMMSS>``,
    with ``-2``, ``-3`` ... added while that exists (nothing is ever overwritten)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{tag}-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.{tag}-{stamp}-{n}")
        n += 1
    return target
