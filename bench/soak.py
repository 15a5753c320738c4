"""Live-plot soak: the window loops CPU runs for N minutes; it must not crash or grow.

Guards against regressions such as PySide6 6.12's None-refcount bug, which killed live
plotting within a minute on Python 3.11. Prints the GUI process RSS at start and end
(target growth <= 5%) and the points held by the plot store (bounded by design).

    python bench/soak.py --minutes 30            # real soak
    python bench/soak.py --minutes 0.5 --duration 5 --width 64   # smoke
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--duration", type=float, default=60.0, help="timed seconds per run")
    p.add_argument("--width", type=int, default=None, help="override the MLP width knob")
    p.add_argument("--threads", type=int, default=None)
    return p.parse_args()


def main() -> int:
    args = parse_args()
    import psutil
    from PySide6.QtWidgets import QApplication

    from gui.window.main_window import MainWindow
    from profiler.results.spec import RunSpec

    app = QApplication.instance() or QApplication(["soak"])
    knobs = {"width": args.width} if args.width else {}
    spec = RunSpec(workload="mlp", device="cpu", knobs=knobs, duration_s=args.duration,
                   threads=args.threads)
    window = MainWindow()
    window.show()
    proc = psutil.Process()
    end = time.monotonic() + args.minutes * 60
    rss_start: int | None = None
    runs, failed = 0, 0
    while time.monotonic() < end:
        [run_id] = window.start_runs([spec])
        while run_id not in window.session.results and time.monotonic() < end + spec.duration_s:
            app.processEvents()
            time.sleep(0.005)
            if rss_start is None and window.store.version(run_id, "run.samples_per_s") > 0:
                rss_start = proc.memory_info().rss  # after the first plots exist
        while window.runs.busy:
            if time.monotonic() >= end:
                window.stop_runs()
            app.processEvents()
            time.sleep(0.005)
        runs += 1
        failed += window.session.results.get(run_id, {}).get("status") not in ("completed", "stopped")
        print(f"run {runs}: {window.session.results.get(run_id, {}).get('status')}, "
              f"RSS {proc.memory_info().rss / 2**20:.1f} MiB, "
              f"points {window.store.point_count()}", flush=True)
    rss_end = proc.memory_info().rss
    window.close()
    rss_start = rss_start or rss_end
    growth = (rss_end - rss_start) / rss_start
    print(f"soak {args.minutes:g} min: {runs} runs ({failed} failed), no crash")
    print(f"GUI RSS start {rss_start / 2**20:.1f} MiB, end {rss_end / 2**20:.1f} MiB, "
          f"growth {growth:+.1%} (target <= 5%)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
