"""Reference runs shipped in ``resources/reference_runs/``: runs measured on real hardware
(the machine, driver, torch version and date recorded) that calibrate the advisor.

Each ``*.json`` is a run file as ``horsepower export``/``run --json`` writes it, checked by
the import validation (``profiler.reports.validate``) plus what a reference needs: a completed
run with a measured throughput, the torch version, the machine (hostname or CPU model), the
device's name, the date it ran and, for an accelerator, its driver. A file that fails is
skipped and named in the problems (one line each); it never stops the advisor.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from profiler.analysis.advisor.hardware import section
from profiler.analysis.advisor.resources_io import REFERENCE_DIR, resource_dir
from profiler.reports.validate import ImportRejected, read_run_file
from profiler.results.result import RunResult, UnreadableResult, read_result

log = logging.getLogger(__name__)


def check_reference(run: Mapping[str, Any]) -> None:
    """``ImportRejected`` unless ``run`` carries what a reference run must (see module doc)."""
    env, info = section(run, "environment"), section(run, "device_info")
    details = section(info, "details")
    if run.get("status") != "completed":
        raise ImportRejected(f"a reference run must be completed, this one is {run.get('status')}")
    if not run.get("samples_per_s") or not run.get("flops_per_step"):
        raise ImportRejected("a reference run needs samples_per_s and flops_per_step")
    if not env.get("torch"):
        raise ImportRejected("a reference run must record environment.torch (the torch version)")
    if not (env.get("hostname") or env.get("cpu_model")):
        raise ImportRejected("a reference run must record the machine (environment.hostname or cpu_model)")
    if not info.get("name"):
        raise ImportRejected("a reference run must record device_info.name")
    if not isinstance(run.get("started_at"), (int, float)):
        raise ImportRejected("a reference run must record started_at (when it ran)")
    if run.get("device") != "cpu" and not (env.get("driver") or details.get("driver")):
        raise ImportRejected("an accelerator reference run must record its driver "
                             "(environment.driver or device_info.details.driver)")


def load_reference_runs(directory: str | Path | None = None) -> tuple[list[RunResult], list[str]]:
    """(valid reference runs, one line per rejected file), files in name order."""
    try:
        folder = Path(directory) if directory is not None else resource_dir(REFERENCE_DIR)
    except FileNotFoundError as exc:
        return [], [str(exc)]
    runs, problems = [], []
    for path in sorted(folder.glob("*.json")):
        try:
            data, _series = read_run_file(path)
            check_reference(data)
            run = read_result(data)
        except (ImportRejected, UnreadableResult) as exc:
            problems.append(f"reference run {path.name} skipped: {exc}")
            log.warning("reference run %s skipped: %s", path, exc)
            continue
        runs.append(run)
    return runs, problems
