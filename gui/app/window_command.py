"""Entry point of the window: ``run_app(argv) -> exit code``.

``gui.app.launcher`` calls it for ``horsepower`` with no arguments and for ``horsepower gui ...``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from gui.app.display_check import display_problem
from profiler import numbers

log = logging.getLogger(__name__)

#: extra wait for a thread still joining after close: a worker being killed, or a run's history
#: recorder giving up on a locked or full database (``RunRecorder.close``: 10 s for the last commit,
#: then up to 11 s for the write under way); a QThread alive at exit would abort the process
STRAGGLER_WAIT_S = 25.0


def build_parser() -> argparse.ArgumentParser:
    from profiler.cli.common import OneLineParser

    p = OneLineParser(
        prog="horsepower gui", description="Open the live profiling window."
    )
    p.add_argument("--run", metavar="DEVICE:WORKLOAD", help="start this run at once, e.g. cpu:mlp")
    p.add_argument("--duration", type=numbers.DURATION_S.arg(), default=None, metavar="S",
                   help="timed seconds of the --run (default 10)")
    p.add_argument("--size", default="S", help="size preset of the --run (S, M, L)")
    p.add_argument("--batch-size", type=numbers.BATCH.arg(), default=None, help="batch size of the --run")
    p.add_argument("--precision", default="fp32", help="precision of the --run")
    p.add_argument("--threads", type=numbers.THREADS.arg(), default=None, help="CPU threads (default: all cores)")
    p.add_argument("--screenshot", metavar="FILE",
                   help="save a PNG of the window when done (or mid-run with --screenshot-at)")
    p.add_argument("--screenshot-at", type=numbers.DURATION_S.arg(), default=None, metavar="SECONDS",
                   help="take the --screenshot this many seconds into the timed window of the --run")
    p.add_argument("--json", metavar="FILE", help="write the run's result JSON when done")
    p.add_argument("--quit-after", type=numbers.DURATION_S.arg(), metavar="SECONDS",
                   help="quit after this many seconds (stopping a run still going)")
    p.add_argument("--demo", action="store_true", help="start in demo mode (full screen loop)")
    p.add_argument("--dark", action="store_true", help="dark theme")
    p.add_argument("--full-screen", action="store_true", help="open full screen")
    p.add_argument("--window-size", metavar="WxH", type=_window_size, default=None,
                   help="open the window at this size, e.g. 1280x800")
    return p


def _window_size(text: str) -> tuple[int, int]:
    """``WxH`` checked by ``profiler.numbers`` (200 to 32768 pixels each; the window then
    shrinks it to the screen)."""
    width, sep, height = text.lower().partition("x")
    if not sep:
        raise argparse.ArgumentTypeError(f"want WIDTHxHEIGHT such as 1280x800, got {text[:40]!r}")
    bound = numbers.Bound("window width and height", 200, numbers.PIXELS.high, integer=True, unit="pixels")
    try:
        return int(bound.parse(width)), int(bound.parse(height))
    except numbers.NumberError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run_app(argv: Sequence[str] | None = None) -> int:
    """Open the window; returns the process exit code (2: no display or bad arguments)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["gui"]:
        args_list = args_list[1:]
    try:
        args = build_parser().parse_args(args_list)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.screenshot_at is not None and not (args.run and args.screenshot):
        print("horsepower gui: --screenshot-at needs --run and --screenshot", file=sys.stderr)
        return 2
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    spec = None
    if args.run:
        from gui.app.scripted_run import parse_run
        from profiler.results.spec import RunSpec

        try:
            device, workload = parse_run(args.run)
            spec = RunSpec(
                workload=workload, device=device, size=args.size, batch_size=args.batch_size,
                precision=args.precision, threads=args.threads,
                duration_s=args.duration if args.duration is not None else 10.0,
            )
            from profiler.runner.validate import validate_spec  # imports torch: fine for a script

            validate_spec(spec)  # SpecError is a ValueError: one line, exit 2, no window
        except ValueError as exc:
            print(f"horsepower gui: {exc}", file=sys.stderr)
            return 2
    from profiler.outputs import OutputPathError, check_output_path
    from profiler.run_inputs import check_not_input

    try:
        for path in (args.json, args.screenshot):
            check_output_path(path)
            check_not_input(path, spec.model if spec is not None else "")
    except OutputPathError as exc:
        print(f"horsepower gui: {exc}", file=sys.stderr)
        return 2
    return _open_window(args, spec)


def _open_window(args: argparse.Namespace, spec: object) -> int:
    import threading

    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from gui.app.gui_thread_gc import GuiThreadCollector
    from gui.app.logging_setup import ErrorReporter, install_excepthooks, setup_logging
    from gui.app.scripted_run import ScriptedRun
    from gui.app.signal_bridge import SignalBridge
    from gui.widgets.theme import app_icon, apply_theme

    log_path = setup_logging()
    app = QApplication.instance() or QApplication(["horsepower"])
    app.setApplicationName("Horsepower")
    QApplication.setWindowIcon(app_icon())
    collector = GuiThreadCollector(app)  # Qt objects must never be destroyed off the GUI thread
    collector.start()
    apply_theme(app, args.dark or args.demo)  # type: ignore[arg-type]
    window, gate = _gated_window(str(log_path))
    reporter = ErrorReporter(log_path, window)
    install_excepthooks(reporter)
    if args.dark:
        window.set_dark(True)
    if args.window_size:
        from gui.window.geometry import within_screen

        window.resize(*within_screen(*args.window_size))
    window.showFullScreen() if args.full_screen else window.show()
    script = None
    if spec is not None or args.quit_after is not None:
        script = ScriptedRun(window, spec, args.screenshot, args.json, args.quit_after,  # type: ignore[arg-type]
                             screenshot_at_s=args.screenshot_at)
        gate.call_when_open(script.start)
    if args.demo:
        window.demo.enter()

    def on_signal(signum: int) -> None:  # SIGTERM, SIGINT, SIGHUP: stop, save, --json, quit
        if script is not None:
            script.stop_now("a stop signal")
        else:
            window.shutdown()
            app.quit()

    signals = SignalBridge(on_signal, app)
    log.info("window open (log: %s)", log_path)
    rc = app.exec()
    signals.uninstall()
    gate.cancel()
    if not window.shutdown() and not window.join_stragglers(STRAGGLER_WAIT_S):
        log.error("threads still running %.0f s after close; exiting anyway", STRAGGLER_WAIT_S)
    code = signals.exit_code or rc or (script.exit_code if script else 0)
    sys.excepthook, threading.excepthook = sys.__excepthook__, threading.__excepthook__
    window.deleteLater()  # delete widgets while the QApplication still exists
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    collector.stop()
    return code


def _gated_window(log_path: str) -> tuple[Any, Any]:
    """The main window, and the gate that holds device discovery (it imports torch: ~2 s,
    mostly holding the GIL) until the window has painted once."""
    from gui.app.startup_gate import StartupGate
    from gui.runs.catalog_loader import Catalog, load_catalog
    from gui.window.main_window import MainWindow

    def no_catalog() -> Catalog:  # the window closed before discovery began
        return Catalog(devices=[], workloads={}, torch_version="")

    gate = StartupGate()
    window = MainWindow(catalog_fn=gate.deferred(load_catalog, no_catalog), log_path=log_path)
    gate.setParent(window)
    gate.watch(window)
    return window, gate


if __name__ == "__main__":
    sys.exit(run_app())
