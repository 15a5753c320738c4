"""Where the window's "Record trace" runs write their torch.profiler trace. Qt-free, GUI thread.

A run started with "Record trace" gets ``TraceRequest(path, steps)`` for ``supervise``: the
worker writes a Chrome/Perfetto trace of ``steps`` steps after the timed window to ``path``,
and history keeps its own compressed copy with the run (``profiler.history.traces``), which
the History tab opens and saves. The file the worker writes is that copy's source, so it goes
to the user cache dir (``traces/<run id>.trace.json``: safe to delete), checked with
``profiler.outputs.check_output_path`` before the run starts.
"""

from __future__ import annotations

import re

from profiler.outputs import OutputPathError, check_output_path
from profiler.paths import UserDirError, cache_dir, ensure_dir
from profiler.results.spec import DEFAULT_TRACE_STEPS, TraceRequest

TRACE_STEPS = DEFAULT_TRACE_STEPS
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class TraceUnavailable(ValueError):
    """No trace can be written for this run; the message says why, for a user."""


def trace_request(run_id: str, steps: int = TRACE_STEPS) -> TraceRequest:
    """The trace request of run ``run_id`` (its file in the cache dir, checked writable);
    ``TraceUnavailable`` (one line) when the directory or the file cannot be written."""
    try:
        folder = ensure_dir(cache_dir() / "traces", "HORSEPOWER_CACHE_DIR")
        path = str(folder / f"{_UNSAFE.sub('_', run_id)}.trace.json")
        check_output_path(path)
    except (OutputPathError, UserDirError) as exc:
        raise TraceUnavailable(f"cannot record a trace: {exc}") from None
    return TraceRequest(path, steps)
