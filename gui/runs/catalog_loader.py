"""Device and workload discovery off the GUI thread (it imports torch: ~2 s).

The window shows at once with a busy device list; ``CatalogLoader`` fills it in when the
background thread is done. The loaded catalog is plain data, so the GUI thread never
touches torch objects.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from gui.runs.engine_import import engine_imports
from gui.viewmodel.catalog import Catalog, WorkloadInfo

__all__ = ["Catalog", "CatalogLoader", "WorkloadInfo", "device_support", "load_catalog"]

log = logging.getLogger(__name__)


def load_catalog() -> Catalog:
    """Discover devices and workloads. Slow (imports torch); call it off the GUI thread."""
    log.info("device discovery started")
    with engine_imports():
        import torch

        from profiler.devices.discovery import list_devices
        from profiler.runner.precision import supported_precisions
        from profiler.workloads import WORKLOADS

    workloads = {
        name: WorkloadInfo(
            name=name, title=w.title, description=w.description, sizes=tuple(w.presets),
            default_batch=dict(w.default_batch), presets={k: dict(v) for k, v in w.presets.items()},
            knob_help=dict(w.knob_help),
        )
        for name, w in WORKLOADS.items()
    }
    devices = list_devices()
    precisions = {d.id: supported_precisions(d.id) for d in devices if d.available}
    support, capabilities = device_support(devices)
    return Catalog(devices=devices, workloads=workloads, torch_version=torch.__version__,
                   precisions=precisions, support=support, capabilities=capabilities)


def device_support(devices: list[Any]) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Per kind: here or why not and what it needs; per usable device: its capabilities.
    Opens each device's telemetry backends: off the GUI thread. A failure is logged and
    leaves that part empty (the picker then says less, nothing breaks)."""
    with engine_imports():
        from profiler.devices.capabilities import device_capabilities
        from profiler.devices.support import kind_support
    support: list[dict[str, Any]] = []
    capabilities: dict[str, list[dict[str, Any]]] = {}
    try:
        support = [row.to_dict() for row in kind_support(devices)]
    except Exception:
        log.exception("device kinds could not be checked")
    for device in devices:
        if not device.available:
            continue
        try:
            capabilities[device.id] = [c.to_dict() for c in device_capabilities(device)]
        except Exception:
            log.exception("capabilities of %s could not be read", device.id)
    return support, capabilities


#: how long closing the window waits for a discovery still going (importing torch, probing
#: devices: it cannot be cut short, and always ends) (s)
DISCOVERY_JOIN_S = 30.0


class CatalogLoader(QObject):
    """Runs ``load_fn`` on a plain thread; reports on the GUI thread through signals."""

    sig_loaded = Signal(object)
    """(Catalog). Emitted on the loader thread; connect queued."""

    sig_failed = Signal(str)
    """(message). Emitted on the loader thread; connect queued."""

    def __init__(self, load_fn: Callable[[], Catalog] = load_catalog, parent: QObject | None = None):
        super().__init__(parent)
        self._load_fn = load_fn
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="horsepower-discovery")
        self._thread.start()

    @property
    def done(self) -> bool:
        """True once the loader thread has ended (or never started)."""
        return self._thread is None or not self._thread.is_alive()

    def join(self, timeout_s: float) -> bool:
        """Wait for the loader thread; True when it has ended."""
        if self._thread is None:
            return True
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            catalog = self._load_fn()
        except Exception as exc:
            log.exception("device discovery failed")
            self.sig_failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.sig_loaded.emit(catalog)
