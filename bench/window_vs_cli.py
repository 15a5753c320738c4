"""Do the window and the CLI measure the same thing? One workload through both paths, alternating.

Each round trains the same CPU spec once through the CLI's path (``horsepower run`` in its own
process, with ``--json``) and once through the window's (Start in an offscreen ``MainWindow``,
live-plotting it), in alternating order so that a machine whose load drifts hurts both alike.
Both paths call ``profiler.worker.run_one``, which trains in a supervised worker process; the
ratio window/CLI of their samples/s should be within 0.97-1.03x. Run it on a quiet machine:
figures taken on a busy one are worthless.

    python bench/window_vs_cli.py                                   # 6 rounds of 10 s (minutes)
    python bench/window_vs_cli.py --rounds 2 --duration 1 --width 64  # smoke
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLI_TIMEOUT_S = 600.0
CATALOG_TIMEOUT_S = 60.0


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--duration", type=float, default=10.0, help="timed seconds per run")
    p.add_argument("--size", default="S")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--width", type=int, default=None, help="override the MLP width knob")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores, both paths)")
    return p.parse_args()


def cli_rate(args: argparse.Namespace, data_dir: str) -> float:
    """samples/s of one ``horsepower run`` (its own process, no history), from its --json."""
    with tempfile.TemporaryDirectory(prefix="hp-bench-") as tmp:
        out = os.path.join(tmp, "run.json")
        argv = [sys.executable, "-m", "profiler.cli", "run", "--device", "cpu", "--workload", "mlp",
                "--size", args.size, "--duration", str(args.duration), "--json", out, "--no-history"]
        if args.batch_size:
            argv += ["--batch-size", str(args.batch_size)]
        if args.width:
            argv += ["--knob", f"width={args.width}"]
        if args.threads:
            argv += ["--threads", str(args.threads)]
        env = {**os.environ, "HORSEPOWER_DATA_DIR": data_dir}
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        try:
            _, stderr = proc.communicate(timeout=CLI_TIMEOUT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.returncode != 0:
            raise SystemExit(f"CLI run exited {proc.returncode}: {stderr.strip()[-400:]}")
        with open(out, encoding="utf-8") as fh:
            data = json.load(fh)
    if data["status"] != "completed" or not data["samples_per_s"]:
        raise SystemExit(f"CLI run {data['status']}: {data.get('error')}")
    return float(data["samples_per_s"])


def window_rate(window, spec) -> float:
    """samples/s of one run started in the live window, waited for in its own event loop."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    bridge = window.bridge

    def on_finished(_run_id: str, _result: object) -> None:
        QTimer.singleShot(0, loop.quit)

    bridge.sig_run_finished.connect(on_finished)
    try:
        [run_id] = window.start_runs([spec])
        loop.exec()
        while window.runs.busy:  # the thread ends just after its last signal
            loop.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    finally:
        bridge.sig_run_finished.disconnect(on_finished)
    result = window.session.results[run_id]
    if result["status"] != "completed" or not result["samples_per_s"]:
        raise SystemExit(f"windowed run {result['status']}: {result['error']}")
    return float(result["samples_per_s"])


def main() -> int:
    args = parse_args()
    if args.rounds < 1 or not args.duration > 0:
        raise SystemExit("--rounds must be at least 1 and --duration positive")
    with tempfile.TemporaryDirectory(prefix="hp-bench-data-") as data_dir:
        os.environ["HORSEPOWER_DATA_DIR"] = data_dir  # the window's history and settings: not the user's
        os.environ["HORSEPOWER_CONFIG_DIR"] = os.path.join(data_dir, "config")
        from PySide6.QtWidgets import QApplication

        from gui.window.main_window import MainWindow
        from profiler.results.spec import RunSpec

        app = QApplication.instance() or QApplication(["window-vs-cli"])
        window = MainWindow()
        window.show()
        deadline = time.monotonic() + CATALOG_TIMEOUT_S
        while not window.controls.workloads and time.monotonic() < deadline:  # the catalogue has loaded
            app.processEvents()
            time.sleep(0.05)
        knobs = {"width": args.width} if args.width else {}
        spec = RunSpec(workload="mlp", device="cpu", size=args.size, batch_size=args.batch_size,
                       knobs=knobs, duration_s=args.duration, threads=args.threads)
        ratios: list[float] = []
        try:
            for i in range(args.rounds):
                order = ("cli", "window") if i % 2 == 0 else ("window", "cli")
                rates = {mode: cli_rate(args, data_dir) if mode == "cli" else window_rate(window, spec)
                         for mode in order}
                ratios.append(rates["window"] / rates["cli"])
                print(f"round {i + 1} ({' then '.join(order)}): CLI {rates['cli']:.0f} samples/s, "
                      f"window {rates['window']:.0f} samples/s, ratio {ratios[-1]:.3f}", flush=True)
        finally:
            window.close()
    ratio = statistics.median(ratios)
    verdict = "within" if 0.97 <= ratio <= 1.03 else "OUTSIDE"
    print(f"samples/s ratio window/CLI: {ratio:.3f}x, {verdict} the 0.97-1.03x target "
          f"[{', '.join(f'{r:.3f}' for r in ratios)}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
