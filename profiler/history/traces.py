"""Trace files kept with the run history: one gzip-compressed Chrome trace per traced run.

Why a copy in the history and not only the path the user gave: a trace is tens of MB, too
big for the SQLite row (every history listing would page it in) and for the 50 MB run file an
export makes, but the path a user gave is theirs to move or delete. So the history keeps its
own compressed copy (a Chrome trace JSON compresses about 10x) in ``<history dir>/traces/``,
named by run id, deleted with the run; the result's ``trace`` dict records it as ``stored``.
An imported run brings no trace (``stored`` None).

Thread: called under no lock of the store; copying a large trace takes a moment.
"""

from __future__ import annotations

import gzip
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TRACES_DIR = "traces"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def trace_path(history_dir: Path, run_id: str) -> Path:
    """Where the history keeps run ``run_id``'s trace."""
    return history_dir / TRACES_DIR / f"{_UNSAFE.sub('_', run_id)}.trace.json.gz"


def _gzip_copy(src: Path, dst: Path) -> None:
    tmp = dst.with_name(dst.name + f".tmp-{os.getpid()}")
    try:
        if src.name.endswith(".gz"):
            shutil.copyfile(src, tmp)
        else:
            with open(src, "rb") as fin, gzip.open(tmp, "wb", compresslevel=6) as fout:
                shutil.copyfileobj(fin, fout, 1 << 20)
        os.replace(tmp, dst)
    finally:
        if tmp.exists():
            tmp.unlink()


def keep_trace(history_dir: Path, run_id: str, result: dict[str, Any]) -> dict[str, Any]:
    """``result`` with its trace copied into the history (``trace.stored``): a new dict, the
    caller's is not changed. A result without a trace comes back as it is; a trace that cannot
    be copied is logged and stored as None."""
    trace = result.get("trace")
    if not isinstance(trace, dict) or trace.get("stored"):
        return result
    stored: str | None = None
    source = Path(str(trace.get("path") or ""))
    if source.is_file():
        target = trace_path(history_dir, run_id)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _gzip_copy(source, target)
            stored = str(target)
        except OSError as exc:  # disk full, read-only: one line, the run is stored without its trace copy
            log.warning("could not keep the trace of run %s in the history: %s", run_id, exc)
    else:
        log.warning("the trace of run %s (%s) is gone; the history keeps no copy", run_id, source)
    return {**result, "trace": {**trace, "stored": stored}}


def forget_trace(history_dir: Path, run_id: str) -> None:
    """Delete the history's copy of a run's trace, if there is one."""
    path = trace_path(history_dir, run_id)
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.exception("could not delete %s", path)


def write_trace(stored: Path, destination: str | os.PathLike[str]) -> Path:
    """Write a kept trace to ``destination``: plain JSON, or gzip when its name ends ``.gz``.
    Complete-or-nothing (a temporary file beside it is renamed)."""
    dest = Path(destination)
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    try:
        if dest.name.endswith(".gz"):
            shutil.copyfile(stored, tmp)
        else:
            with gzip.open(stored, "rb") as fin, open(tmp, "wb") as fout:
                shutil.copyfileobj(fin, fout, 1 << 20)
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest
