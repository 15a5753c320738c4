"""Does watching a run slow it down? Headless vs window, same run, alternating rounds.

Each round runs the same CPU spec (same settings, same thread count) once through
``supervise`` with no window and once with the window live-plotting it (offscreen), in
alternating order. Prints the median throughput ratio window/headless (target >= 0.98x)
and the window's event-loop latency p99 during the windowed runs (target <= 50 ms).

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

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--duration", type=float, default=10.0, help="timed seconds per run")
    p.add_argument("--size", default="S")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--width", type=int, default=None, help="override the MLP width knob")
    p.add_argument("--threads", type=int, default=None, help="default: all cores, as headless")
    return p.parse_args()


def headless(spec) -> float:
    from profiler.events import EventBus
    from profiler.worker import supervise

    result = supervise(spec, EventBus(), threading.Event())
    if result.status != "completed":
        raise SystemExit(f"headless run {result.status}: {result.error}")
    return float(result.samples_per_s)


def windowed(app, window, spec) -> tuple[float, float | None, float | None]:
    """(samples/s, loop latency p99 ms, GUI CPU fraction) of one run in the live window.

    Latency and GUI CPU cover the measured window only (from the "measuring" state).
    """
    from gui.viewmodel import series_store as sk

    [run_id] = window.start_runs([spec])
    cpu0 = wall0 = None
    while run_id not in window.session.results:
        app.processEvents()
        time.sleep(0.002)
        if cpu0 is None and window.store.scalar(run_id, sk.STATE) == "measuring":
            window.meter.reset_latency()
            cpu0, wall0 = time.thread_time(), time.perf_counter()
    gui_cpu = (time.thread_time() - cpu0) / (time.perf_counter() - wall0) if cpu0 is not None else None
    p99 = window.meter.latency_p99_ms()
    result = window.session.results[run_id]
    while window.runs.busy:
        app.processEvents()
        time.sleep(0.01)
    if result["status"] != "completed":
        raise SystemExit(f"windowed run {result['status']}: {result['error']}")
    return float(result["samples_per_s"]), p99, gui_cpu


def main() -> int:
    args = parse_args()
    from PySide6.QtWidgets import QApplication

    from gui.window.main_window import MainWindow
    from profiler.results.spec import RunSpec

    app = QApplication.instance() or QApplication(["observer-effect"])
    window = MainWindow()
    window.show()
    knobs = {"width": args.width} if args.width else {}
    spec = RunSpec(workload="mlp", device="cpu", size=args.size, batch_size=args.batch_size,
                   knobs=knobs, duration_s=args.duration, threads=args.threads)
    ratios, p99s = [], []
    for i in range(args.rounds):
        order = ("headless", "window") if i % 2 == 0 else ("window", "headless")
        rates: dict[str, float] = {}
        for mode in order:
            if mode == "headless":
                rates[mode] = headless(spec)
            else:
                rates[mode], p99, gui_cpu = windowed(app, window, spec)
                if p99 is not None:
                    p99s.append(p99)
        ratios.append(rates["window"] / rates["headless"])
        print(f"round {i + 1}: headless {rates['headless']:.0f} samples/s, window "
              f"{rates['window']:.0f} samples/s, ratio {ratios[-1]:.3f}, "
              f"loop p99 {p99s[-1] if p99s else float('nan'):.1f} ms, "
              f"GUI {gui_cpu if gui_cpu is not None else float('nan'):.1%} of a core",
              flush=True)
    window.close()
    ratio = statistics.median(ratios)
    worst_p99 = max(p99s) if p99s else float("nan")
    print(f"throughput ratio window/headless: {ratio:.3f}x (target >= 0.98x) "
          f"[{', '.join(f'{r:.3f}' for r in ratios)}]")
    print(f"event-loop latency p99 during windowed runs: {worst_p99:.1f} ms (target <= 50 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
