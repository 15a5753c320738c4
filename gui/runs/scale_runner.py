"""Run a scale sweep from the window: ``profiler.distributed.sweep.run_scale`` on a QThread.

``scale_config`` checks a request exactly as ``horsepower scale`` does (``DistConfig.check``,
``parse_nprocs``, ``check_sweep``) and raises ``ScaleRequestError`` with the engine's one line;
nothing starts then. ``ScaleRunner.start`` runs the checked sweep on a ``ScaleThread``: each
world size launches its ranks through torch's elastic agent (``profiler.distributed.launch``,
which kills every process below the agent when it ends, so no rank outlives the launch), and
each finished world size is stored in history like ``horsepower scale`` stores it.
``stop()`` sets the cancel event ``launch`` polls (SIGTERM to the agent, SIGKILL after its
grace period); ``shutdown`` stops and joins the thread, as the window does on close.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from gui.runs.history_link import HistoryLink
from gui.runs.job_runner import JobRunner, JobThread

if TYPE_CHECKING:
    from profiler.distributed.config import DistConfig

log = logging.getLogger(__name__)

#: (config, world sizes, cancel, on_point) -> points; the engine's ``run_scale`` by default
ScaleFn = Callable[["DistConfig", Sequence[int], threading.Event, Callable[[Any], None]], list[Any]]

#: request keys that become ``DistConfig`` fields as they are
CONFIG_KEYS = ("workload", "device", "size", "batch_size", "mode", "strategy", "precision", "steps",
               "duration_s", "warmup_max_steps", "warmup_max_s", "reference_steps", "threads",
               "probe_bytes", "measure_peak", "timeout_s")


class ScaleRequestError(ValueError):
    """A scale request that cannot start; the message is the engine's one line."""


def scale_config(request: Mapping[str, Any]) -> tuple[DistConfig, list[int]]:
    """The checked config and world sizes of ``request`` (the Scaling form's dict: the config
    keys plus ``nproc``, the world sizes as typed). Raises ``ScaleRequestError``. GUI thread."""
    from profiler.distributed.config import DistConfig, DistConfigError
    from profiler.distributed.ports import EndpointError
    from profiler.distributed.sweep import check_sweep, parse_nprocs

    fields = {k: request[k] for k in CONFIG_KEYS if request.get(k) is not None}
    if fields.get("steps") is not None:
        fields["duration_s"] = None
    try:
        config = DistConfig(**fields)
        config.check()
        nprocs = parse_nprocs(str(request.get("nproc", "")))
        check_sweep(config, nprocs)
    except (DistConfigError, EndpointError) as exc:
        raise ScaleRequestError(str(exc)) from None
    except TypeError as exc:  # a request key DistConfig does not know: a bug in the caller
        raise ScaleRequestError(f"bad scale request: {exc}") from None
    return config, nprocs


def engine_scale(config: DistConfig, nprocs: Sequence[int], cancel: threading.Event,
                 on_point: Callable[[Any], None]) -> list[Any]:
    """``horsepower scale``'s call: every world size in turn on loopback, a free port each."""
    from profiler.distributed.sweep import run_scale

    return run_scale(config, nprocs, None, None, cancel, on_point=on_point)


class ScaleThread(JobThread):
    """Runs one scale sweep; reports through ``ScaleRunner``'s signals."""

    def __init__(self, runner: ScaleRunner, config: DistConfig, nprocs: list[int], scale_fn: ScaleFn,
                 record: bool) -> None:
        super().__init__(runner)
        self.runner = runner
        self.config = config
        self.nprocs = nprocs
        self.results: list[dict[str, Any]] = []
        self._scale_fn = scale_fn
        self._record = record

    def run(self) -> None:  # scale thread
        total = len(self.nprocs)
        self.runner.sig_progress.emit(f"{self.nprocs[0]} rank(s) training…", 0, total)
        try:
            self._scale_fn(self.config, self.nprocs, self.cancel, self._on_point)
        except Exception as exc:
            log.exception("scale sweep failed")
            self.runner.sig_failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.runner.sig_finished.emit(list(self.results), self.cancel.is_set())

    def _on_point(self, point: Any) -> None:  # scale thread, after each world size
        result = dict(point.result)
        self.results.append(result)
        if self._record:
            self._store(result)
        done, total = len(self.results), len(self.nprocs)
        self.runner.sig_point_finished.emit(list(self.results), done, total)
        if done < total and point.ok and not self.cancel.is_set():
            self.runner.sig_progress.emit(f"{self.nprocs[done]} rank(s) training…", done, total)

    def _store(self, result: dict[str, Any]) -> None:
        """Into history as ``horsepower scale`` stores it; a history that cannot take it is logged."""
        store = self.runner.link.wait_store()
        if store is None:
            log.warning("scale run %s is not stored in history: %s", result.get("run_id"),
                        self.runner.link.error or "not open")
            return
        from profiler.history.database import HistoryError

        try:  # rank 0 wrote it with RunResult.to_dict: stored as it is
            store.store_result(result)
        except (HistoryError, ValueError, TypeError) as exc:
            log.warning("scale run %s is not stored in history: %s", result.get("run_id"), exc)
            return
        self.runner.link.sig_run_recorded.emit(str(result.get("run_id")))


class ScaleRunner(JobRunner):
    """Starts, stops and joins the window's scale thread. GUI thread only."""

    job_name = "scale sweep"

    sig_progress = Signal(str, int, int)
    """(text, world sizes done, world sizes in all). Scale thread; connect queued."""
    sig_point_finished = Signal(object, int, int)
    """(result dicts so far, done, in all) a world size ended. Scale thread; connect queued."""
    sig_finished = Signal(object, bool)
    """(result dicts, stopped early). Scale thread; connect queued."""
    sig_failed = Signal(str)
    """(message) the sweep could not run. Scale thread; connect queued."""

    def __init__(self, link: HistoryLink, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self._thread: ScaleThread | None = None  # type: ignore[assignment]

    @property
    def config(self) -> DistConfig | None:
        """The config of the running (or last) sweep."""
        return self._thread.config if self._thread is not None else None

    @property
    def world_sizes(self) -> list[int]:
        """The world sizes of the running (or last) sweep."""
        return list(self._thread.nprocs) if self._thread is not None else []

    def start(self, config: DistConfig, nprocs: list[int], scale_fn: ScaleFn | None = None,
              record: bool = True) -> None:
        """Run the checked ``config`` at each of ``nprocs`` (see ``scale_config``)."""
        self._launch(lambda: ScaleThread(self, config, list(nprocs), scale_fn or engine_scale, record))
        log.info("scale sweep started: %s on %s, world sizes %s", config.workload, config.device, nprocs)
