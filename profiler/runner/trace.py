"""A trace for deep dives: N training steps under ``torch.profiler``, as a Chrome trace JSON.

The trace is recorded after the timed window has closed, so its steps (slowed by the
profiler's own bookkeeping) are in no figure of the run. The profiler's schedule runs one
warm-up step that is not recorded (kineto's start-up cost stays out of the trace), then
``steps`` recorded steps, each a ``ProfilerStep#<n>`` range in the trace. CPU activity is
always recorded; CUDA (and XPU) activity when torch supports it on the run's device. The file
opens in https://ui.perfetto.dev or chrome://tracing; a name ending in ``.gz`` is written
gzip-compressed (both viewers read that). Written complete-or-nothing.

Thread: ``capture_trace`` runs on the training thread.
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import time
from collections.abc import Callable
from typing import Any

import torch

from profiler.results.spec import TraceRequest
from profiler.runner.phases import BatchFeed
from profiler.runner.step import StepFn
from profiler.workloads.sync import synchronize

log = logging.getLogger(__name__)

TRACE_FORMAT = "chrome-trace-json"


def activities(device: torch.device) -> list[torch.profiler.ProfilerActivity]:
    """CPU, plus the device's activity when this torch build can record it."""
    supported = torch.profiler.supported_activities()
    wanted = [torch.profiler.ProfilerActivity.CPU]
    device_activity = {"cuda": "CUDA", "xpu": "XPU"}.get(device.type)
    activity = getattr(torch.profiler.ProfilerActivity, device_activity, None) if device_activity else None
    if activity is not None and activity in supported:
        wanted.append(activity)
    return wanted


def _write(prof: torch.profiler.profile, path: str) -> int:
    """Export to ``path`` through a temporary file beside it; returns the file's size (bytes)."""
    directory = os.path.dirname(os.path.abspath(path))
    tmp_json = os.path.join(directory, f".{os.path.basename(path)}.tmp-{os.getpid()}.json")
    tmp_final = tmp_json + ".gz"
    try:
        prof.export_chrome_trace(tmp_json)
        if path.endswith(".gz"):
            with open(tmp_json, "rb") as src, gzip.open(tmp_final, "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.replace(tmp_final, path)
        else:
            os.replace(tmp_json, path)
    finally:
        for tmp in (tmp_json, tmp_final):
            if os.path.exists(tmp):
                os.unlink(tmp)
    return os.path.getsize(path)


def capture_trace(step: StepFn, feed: BatchFeed, device: torch.device, request: TraceRequest,
                  cancelled: Callable[[], bool] = lambda: False) -> dict[str, Any] | None:
    """Train ``request.steps`` steps (plus one unrecorded warm-up) under the profiler and
    write the trace. Returns what the result keeps (``RunResult.trace``): path, steps,
    activities, size in bytes, seconds taken, format; None when ``cancelled()`` turned true
    between steps (nothing is written then)."""
    acts = activities(device)
    schedule = torch.profiler.schedule(wait=0, warmup=1, active=request.steps, repeat=1)
    start = time.perf_counter()
    synchronize(device)
    with torch.profiler.profile(activities=acts, schedule=schedule) as prof:
        for index in range(request.steps + 1):
            if cancelled():
                break
            step(feed.next())
            if index == request.steps:
                synchronize(device)  # every recorded kernel has finished when this step() collects
            prof.step()
    if cancelled():
        log.info("trace abandoned: the run was stopped")
        return None
    size = _write(prof, request.path)
    elapsed = time.perf_counter() - start
    log.info("trace of %d steps written to %s (%d bytes, %.1f s)", request.steps, request.path, size, elapsed)
    return {
        "path": os.path.abspath(request.path),
        "steps": request.steps,
        "activities": [a.name.lower() for a in acts],
        "bytes": size,
        "capture_s": elapsed,
        "format": TRACE_FORMAT,
    }
