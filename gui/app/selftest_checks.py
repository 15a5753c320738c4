"""The individual checks of ``horsepower --self-test`` (see ``gui.app.selftest``).

Each check returns a JSON-ready detail on success, raises ``NotApplicable`` when it does
not apply on this machine (no accelerator, no display), and raises anything else on
failure. All run on the main thread; Qt is imported only by the last two.
"""

from __future__ import annotations

import importlib
import math
import os
import subprocess
import sys
import threading
import time
from typing import Any

#: modules the app needs, in import order (torch first: it is the slow one)
STACK = (
    "torch", "numpy", "psutil", "platformdirs",
    "PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "pyqtgraph",
    "profiler", "profiler.runner", "profiler.worker", "profiler.devices.discovery",
    "profiler.devices.registry", "gui", "gui.app.window_command", "gui.window.main_window", "resources",
)
TRAINING_TIMEOUT_S = 180.0
PROBE_TIMEOUT_S = 60.0
WINDOW_SETTLE_S = 0.5
#: longest the window's startup (device discovery) may take in the self-test (s)
STARTUP_TIMEOUT_S = 120.0


class NotApplicable(Exception):
    """The check does not apply here; the message says why (shown as n/a, not a failure)."""


def check_imports() -> dict[str, Any]:
    """Import every module of the stack; report versions and per-module seconds."""
    timings_s: dict[str, float] = {}
    failures: list[str] = []
    for name in STACK:
        start_s = time.perf_counter()
        try:
            importlib.import_module(name)
        except Exception as exc:  # ImportError, or OSError for a missing shared library
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        timings_s[name] = round(time.perf_counter() - start_s, 3)
    if failures:
        raise ImportError("; ".join(failures))
    import numpy
    import pyqtgraph
    import PySide6
    import torch

    return {
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "numpy": numpy.__version__,
        "PySide6": PySide6.__version__,
        "pyqtgraph": pyqtgraph.__version__,
        "import_s": timings_s,
    }


def check_devices() -> list[dict[str, Any]]:
    """Every device kind torch knows; unusable ones carry the reason."""
    from profiler.devices.discovery import list_devices

    devices = list_devices()
    if not any(d.available for d in devices):
        raise RuntimeError("no usable device, not even the CPU")
    return [
        {"id": d.id, "name": d.name, "available": d.available, "reason": d.reason or None}
        for d in devices
    ]


def check_telemetry() -> dict[str, Any]:
    """Open the telemetry backends of every usable accelerator and take one reading each."""
    from profiler.devices import registry
    from profiler.devices.discovery import list_devices

    accelerators = [d for d in list_devices() if d.kind != "cpu"]
    usable = [d for d in accelerators if d.available]
    report = [str(line) for line in registry.accelerator_report()]
    if not usable:
        why = "; ".join(f"{d.id}: {d.reason}" for d in accelerators) or "no accelerator kind on this OS"
        raise NotApplicable(f"no accelerator to read ({why}). " + " ".join(report))
    devices: dict[str, Any] = {}
    for device in usable:
        backends = registry.open_backends(device.id, device.details.get("uuid") or None)
        try:
            reading = registry.merge_readings(backends)
            caps = registry.merge_capabilities(backends)
        finally:
            registry.close_backends(backends)
        devices[device.id] = {
            "backends": [b.backend for b in backends],
            "readings": sorted(k for k, v in reading.items() if v is not None),
            "n/a": {k: caps.why_missing(k) for k in sorted(k for k, v in reading.items() if v is None)},
        }
    return {"devices": devices, "report": report}


def check_training(steps: int) -> dict[str, Any]:
    """Train a tiny MLP on the CPU the way every run trains (``profiler.worker.run_one``: a
    spawned worker process)."""
    from profiler.events import EventBus
    from profiler.results.result import RunState
    from profiler.results.spec import RunSpec
    from profiler.worker.run_one import run_one

    spec = RunSpec(
        workload="mlp", device="cpu", size="S", batch_size=32, knobs={"width": 64, "depth": 1},
        duration_s=None, steps=steps, warmup_max_steps=3, warmup_max_s=2.0, threads=1,
        name="self-test",
    )
    bus = EventBus()
    counts: dict[str, int] = {}

    def count(event: Any) -> None:
        counts[type(event).__name__] = counts.get(type(event).__name__, 0) + 1

    bus.subscribe(count)
    cancel = threading.Event()
    timer = threading.Timer(TRAINING_TIMEOUT_S, cancel.set)
    timer.start()
    try:
        result = run_one(spec, bus, cancel)
    finally:
        timer.cancel()
    if result.status != RunState.COMPLETED:
        raise RuntimeError(f"worker run ended {result.status}: {result.error or 'no reason given'}")
    losses = [x for x in result.losses if x is not None]
    if not result.step_times_s or not losses or not all(math.isfinite(x) for x in losses):
        raise RuntimeError(f"worker run measured nothing usable: {len(result.step_times_s)} steps, losses {losses}")
    return {
        "path": "worker process (spawn) via profiler.worker.run_one",
        "status": result.status,
        "timed_steps": len(result.step_times_s),
        "warmup_steps": result.warmup_steps,
        "samples_per_s": result.samples_per_s,
        "loss_first": losses[0],
        "loss_last": losses[-1],
        "events": counts,
    }


def check_qt_platform(choice: dict[str, str]) -> str:
    """Decide the Qt platform for the window check; store it in ``choice["platform"]``.

    A real display is probed in a child process first, because a Qt platform plugin that
    cannot load (missing xcb libraries) aborts the whole process.
    """
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:
        return f"{QApplication.platformName()} (Qt already running)"
    forced = os.environ.get("QT_QPA_PLATFORM")
    if forced in ("offscreen", "minimal"):
        return f"{forced} (QT_QPA_PLATFORM)"
    if sys.platform.startswith("linux") and not forced:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            choice["platform"] = "offscreen"
            raise NotApplicable("no display (DISPLAY and WAYLAND_DISPLAY unset): the window is built offscreen")
    if not sys.platform.startswith("linux"):
        return "native (bundled platform plugin)"
    from profiler.lifeline import child_env, python_command

    proc = subprocess.run(
        python_command("gui.app.selftest", "--probe-qt"), env=child_env(), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False,
    )
    if proc.returncode != 0:
        from profiler.child_process import describe_exit

        choice["platform"] = "offscreen"
        lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
        qt_lines = [ln for ln in lines if "qt." in ln or "plugin" in ln or "needed" in ln] or lines[-3:]
        raise RuntimeError(
            f"the Qt platform plugin cannot start on this display ({describe_exit(proc.returncode)}): "
            + " | ".join(qt_lines[:4])
        )
    return proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "started"


def probe_qt_platform() -> int:
    """Child side of the platform probe: start Qt, print the platform name, exit."""
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    print(f"{app.platformName()} platform started")
    return 0


def check_window(platform_name: str | None) -> dict[str, Any]:
    """Build the main window, show it, let it paint, grab it, close it."""
    from PySide6.QtWidgets import QApplication

    if platform_name and QApplication.instance() is None:
        os.environ["QT_QPA_PLATFORM"] = platform_name
    app = QApplication.instance() or QApplication([sys.argv[0]])
    from gui.window.main_window import MainWindow

    window = MainWindow()
    try:
        window.show()
        # Wait for what the window does at startup (device discovery imports torch: seconds on a
        # busy machine) to end, then let it paint: closing mid-discovery left a thread that
        # cannot be interrupted running past the shutdown's join (1 self-test in 3 failed so).
        started_s = time.perf_counter()
        while not window.loader.done and time.perf_counter() - started_s < STARTUP_TIMEOUT_S:
            app.processEvents()
            time.sleep(0.01)
        if not window.loader.done:
            raise RuntimeError(f"the window's device discovery did not finish within {STARTUP_TIMEOUT_S:.0f} s")
        deadline_s = time.perf_counter() + WINDOW_SETTLE_S
        while time.perf_counter() < deadline_s:
            app.processEvents()
            time.sleep(0.01)
        if not window.isVisible():
            raise RuntimeError("the main window did not become visible")
        image = window.grab()
        if image.isNull():
            raise RuntimeError("the main window could not be painted")
        return {
            "platform": QApplication.platformName(),
            "title": window.windowTitle(),
            "size_px": [window.width(), window.height()],
        }
    finally:
        clean = window.shutdown() if hasattr(window, "shutdown") else True
        window.close()
        window.deleteLater()
        if not clean:
            raise RuntimeError("the main window's threads did not stop within their timeout")
        app.processEvents()
