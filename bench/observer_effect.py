"""Does watching a run slow it down? Headless vs window, same run, alternating rounds.

Each round runs the same CPU spec (same settings, same thread count) once through
``supervise`` with no window and once with the window live-plotting it (offscreen), in
alternating order, so that a machine whose load drifts hurts both alike. The window waits
in its own event loop (``QEventLoop``), as ``horsepower`` does: a polling loop would add
wake-ups of its own and measure the bench, not the window. Prints the median throughput
ratio window/headless (target >= 0.98x), the window's event-loop latency p99 during the
windowed runs (target <= 50 ms), and the GUI process's CPU (main thread and all threads).

    python bench/observer_effect.py                      # real figures (minutes)
    python bench/observer_effect.py --rounds 1 --duration 2 --width 64   # smoke
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--duration", type=float, default=10.0, help="timed seconds per run")
    p.add_argument("--size", default="S")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--width", type=int, default=None, help="override the MLP width knob")
    p.add_argument("--threads", type=int, default=None, help="default: all cores, as headless")
    p.add_argument("--omp-wait-policy", choices=("ACTIVE", "PASSIVE"), default=None,
                   help="set OMP_WAIT_POLICY for every worker (both arms alike)")
    return p.parse_args()


def headless(spec) -> float:
    from profiler.events import EventBus
    from profiler.worker.supervisor import supervise

    result = supervise(spec, EventBus(), threading.Event())
    if result.status != "completed":
        raise SystemExit(f"headless run {result.status}: {result.error}")
    return float(result.samples_per_s)


def _process_cpu_s() -> float:
    times = os.times()
    return times.user + times.system


def windowed(window, spec) -> tuple[float, float | None, float | None, float | None]:
    """(samples/s, loop latency p99 ms, GUI thread CPU share, GUI process CPU share) of one
    run in the live window. Latency and CPU cover the measured window only."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    marks: dict[str, float] = {}
    bridge = window.bridge

    def on_state(run_id: str, state: str, _message: str) -> None:
        if state == "measuring" and "wall" not in marks:
            window.meter.reset_latency()
            marks.update(thread=time.thread_time(), process=_process_cpu_s(), wall=time.perf_counter())

    def on_finished(run_id: str, _result: object) -> None:
        if "end" not in marks:
            marks.update(end_thread=time.thread_time(), end_process=_process_cpu_s(), end=time.perf_counter())
        QTimer.singleShot(0, loop.quit)

    bridge.sig_run_state_changed.connect(on_state)
    bridge.sig_run_finished.connect(on_finished)
    try:
        [run_id] = window.start_runs([spec])
        loop.exec()
        while window.runs.busy:  # the thread ends just after its last signal
            loop.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    finally:
        bridge.sig_run_state_changed.disconnect(on_state)
        bridge.sig_run_finished.disconnect(on_finished)
    result = window.session.results[run_id]
    if result["status"] != "completed":
        raise SystemExit(f"windowed run {result['status']}: {result['error']}")
    gui = proc = None
    if "wall" in marks and "end" in marks:
        wall = marks["end"] - marks["wall"]
        gui = (marks["end_thread"] - marks["thread"]) / wall
        proc = (marks["end_process"] - marks["process"]) / wall
    return float(result["samples_per_s"]), window.meter.latency_p99_ms(), gui, proc


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def main() -> int:
    args = parse_args()
    if args.omp_wait_policy:
        os.environ["OMP_WAIT_POLICY"] = args.omp_wait_policy  # inherited by every spawned worker
    from PySide6.QtWidgets import QApplication

    from gui.window.main_window import MainWindow
    from profiler.results.spec import RunSpec

    app = QApplication.instance() or QApplication(["observer-effect"])
    window = MainWindow()
    window.show()
    deadline = time.monotonic() + 60
    while not window.controls.workloads and time.monotonic() < deadline:  # the catalogue has loaded
        app.processEvents()
        time.sleep(0.05)
    knobs = {"width": args.width} if args.width else {}
    spec = RunSpec(workload="mlp", device="cpu", size=args.size, batch_size=args.batch_size,
                   knobs=knobs, duration_s=args.duration, threads=args.threads)
    ratios, p99s = [], []
    for i in range(args.rounds):
        order = ("headless", "window") if i % 2 == 0 else ("window", "headless")
        rates: dict[str, float] = {}
        gui = proc = None
        for mode in order:
            if mode == "headless":
                rates[mode] = headless(spec)
            else:
                rates[mode], p99, gui, proc = windowed(window, spec)
                if p99 is not None:
                    p99s.append(p99)
        ratios.append(rates["window"] / rates["headless"])
        print(f"round {i + 1}: headless {rates['headless']:.0f} samples/s, window "
              f"{rates['window']:.0f} samples/s, ratio {ratios[-1]:.3f}, "
              f"loop p99 {p99s[-1] if p99s else float('nan'):.1f} ms, "
              f"GUI thread {_pct(gui)} of a core, GUI process {_pct(proc)}", flush=True)
    window.close()
    ratio = statistics.median(ratios)
    worst_p99 = max(p99s) if p99s else float("nan")
    print(f"throughput ratio window/headless: {ratio:.3f}x (target >= 0.98x) "
          f"[{', '.join(f'{r:.3f}' for r in ratios)}]")
    print(f"event-loop latency p99 during windowed runs: {worst_p99:.1f} ms (target <= 50 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
