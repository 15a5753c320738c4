"""``horsepower --self-test``: prove that this install (or frozen bundle) works end to end.

Checks, in order: the whole stack imports; devices are discovered; accelerator telemetry
opens (n/a without an accelerator); a tiny MLP trains a few steps on the CPU in a spawned
worker process (the same path the window uses); the Qt platform loads; the main window is
built and painted. Prints one JSON summary on stdout (each check: status, seconds, detail)
and a human line per failure on stderr. Exit 0 when nothing failed, 1 otherwise.

Runs on the main thread; the window check needs no display (falls back to Qt's offscreen
platform and says so). A check that does not apply here is "n/a", never a failure.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from gui.app.selftest_checks import (
    NotApplicable,
    check_devices,
    check_imports,
    check_qt_platform,
    check_telemetry,
    check_training,
    check_window,
    probe_qt_platform,
)

log = logging.getLogger(__name__)

#: lines of advice keyed by a fragment of an error message
HINTS: dict[str, str] = {
    "could not connect to display": "DISPLAY names no running X server: start Horsepower from a desktop "
    "session, or unset DISPLAY to run offscreen",
    "libEGL": "Qt needs system libraries: apt-get install libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3",
    "libGL": "Qt needs system libraries: apt-get install libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3",
    "libxkbcommon": "Qt needs libxkbcommon: apt-get install libxkbcommon0 libxkbcommon-x11-0",
    "xcb": "Qt's X11 plugin needs: apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 "
    "libxcb-shape0 libxkbcommon-x11-0 (or run with QT_QPA_PLATFORM=wayland on Wayland)",
    "libcuda": "the NVIDIA driver's libcuda is missing: install the NVIDIA driver, or use a CPU build of torch",
    "NVML": "NVIDIA telemetry needs the NVIDIA driver (libnvidia-ml) and the nvidia-ml-py package",
    "No module named": "this install is incomplete: reinstall horsepower (pip install horsepower) "
    "or rebuild the bundle (packaging/build)",
}


@dataclass
class CheckResult:
    """One check's outcome. ``status`` is "ok", "n/a" (does not apply here) or "fail"."""

    name: str
    status: str
    seconds: float
    detail: Any
    hint: str | None = None


def hint_for(message: str) -> str | None:
    """Advice for a failure message, or None when we have none."""
    for fragment, hint in HINTS.items():
        if fragment in message:
            return hint
    return None


def run_check(name: str, check: Callable[[], Any]) -> CheckResult:
    """Run one check, timing it; any exception becomes a "fail" with its message."""
    start_s = time.perf_counter()
    try:
        detail = check()
        status = "ok"
    except NotApplicable as exc:
        detail, status = str(exc), "n/a"
    except Exception as exc:  # a self-test reports every failure rather than dying
        log.debug("self-test check %s failed", name, exc_info=True)
        detail, status = f"{type(exc).__name__}: {exc}", "fail"
    seconds = round(time.perf_counter() - start_s, 3)
    hint = hint_for(str(detail)) if status == "fail" else None
    return CheckResult(name, status, seconds, detail, hint)


def run_all(steps: int, skip_window: bool) -> list[CheckResult]:
    """Every check, in order; the window check uses the platform the Qt check settled on."""
    results = [run_check("imports", check_imports)]
    if results[0].status == "fail" and "torch" in str(results[0].detail).split(":")[0]:
        return results  # nothing else can run without torch
    results.append(run_check("devices", check_devices))
    results.append(run_check("telemetry", check_telemetry))
    results.append(run_check("training", lambda: check_training(steps)))
    if not skip_window:
        choice: dict[str, str] = {}
        results.append(run_check("qt_platform", lambda: check_qt_platform(choice)))
        results.append(run_check("window", lambda: check_window(choice.get("platform"))))
    return results


def summary(results: list[CheckResult], total_s: float) -> dict[str, Any]:
    """The JSON document printed on stdout."""
    return {
        "ok": all(r.status != "fail" for r in results),
        "total_s": round(total_s, 3),
        "frozen": bool(getattr(sys, "frozen", False)),
        "executable": sys.executable,
        "python": platform.python_version(),
        "os": platform.platform(),
        "checks": [asdict(r) for r in results],
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    args = list(sys.argv[1:] if argv is None else argv)
    args = [a for a in args if a != "--self-test"]  # the launcher's own flag
    parser = argparse.ArgumentParser(prog="horsepower --self-test", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5, help="training steps in the worker (default 5)")
    parser.add_argument("--skip-window", action="store_true", help="do not load Qt or build the window")
    parser.add_argument("--json-out", metavar="PATH", help="also write the JSON summary to PATH")
    parser.add_argument("--probe-qt", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(args)


def main(argv: list[str] | None = None) -> int:
    """Run the self-test; 0 when every check passed or does not apply, 1 otherwise."""
    args = parse_args(argv)
    if args.probe_qt:
        return probe_qt_platform()
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    start_s = time.perf_counter()
    results = run_all(max(1, args.steps), args.skip_window)
    doc = summary(results, time.perf_counter() - start_s)
    text = json.dumps(doc, indent=2, default=str)
    print(text, flush=True)
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    for r in results:
        if r.status == "fail":
            print(f"self-test: {r.name} FAILED: {r.detail}", file=sys.stderr)
            if r.hint:
                print(f"  hint: {r.hint}", file=sys.stderr)
        elif r.status == "n/a":
            print(f"self-test: {r.name} n/a: {r.detail}", file=sys.stderr)
    verdict = "passed" if doc["ok"] else "FAILED"
    print(f"self-test {verdict} in {doc['total_s']:.1f} s ({os.path.basename(sys.executable)})", file=sys.stderr)
    return 0 if doc["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
