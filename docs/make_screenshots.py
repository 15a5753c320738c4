"""Take the screenshots under docs/: every tab, presentation mode and the report, from real runs.

Runs real (short) CPU trainings into a fresh history, opens the window at the given size,
drives it tab by tab (the Advisor's answer for the first run, the example model in "Your
model…") and saves ``QWidget.grab()`` PNGs; the stakeholder report of the
compared runs is rendered by headless chromium. Run it under a display, e.g.:

    xvfb-run -a -s "-screen 0 1400x900x24" python docs/make_screenshots.py --out docs/screenshots
    xvfb-run -a -s "-screen 0 1920x1080x24" python docs/make_screenshots.py --size 1920x1080 --dark --out /tmp/shots

``--quick`` uses 3-second runs (for checking the script itself); ``--only advisor,your-model``
takes only those shots (and skips the steps the others need).

``--set diagnosis`` takes the input-bound story instead, light and dark in one go: Live during
an input-bound run (a DataLoader with 0 workers and a slow Dataset), the run details pane in
History, Compare of 0 vs 2 loader workers, presentation between rounds, and the report of the
input-bound run. Take it on a screen of each size, e.g.:

    xvfb-run -a -s "-screen 0 1280x720x24" python docs/make_screenshots.py --set diagnosis --size 1280x720
    xvfb-run -a -s "-screen 0 1920x1080x24" python docs/make_screenshots.py --set diagnosis --size 1920x1080
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    p.add_argument("--size", default="1400x900")
    p.add_argument("--dark", action="store_true")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", default="", help="comma-separated shot names to take (default: all)")
    p.add_argument("--set", choices=("tour", "diagnosis"), default="tour",
                   help="tour: every tab (default); diagnosis: the input-bound story, light and dark")
    return p.parse_args()


def record_runs(seconds: float) -> list[str]:
    """Real CPU runs stored in history: fp32, bf16, one thread, a repeat and another model."""
    from profiler.events import EventBus
    from profiler.history import HistoryStore, recording
    from profiler.results.result import new_run_id
    from profiler.results.spec import RunSpec
    from profiler.worker.supervisor import supervise

    specs = [
        RunSpec(workload="mlp", duration_s=seconds),
        RunSpec(workload="mlp", duration_s=seconds, precision="bf16"),
        RunSpec(workload="mlp", duration_s=seconds, threads=1),
        RunSpec(workload="mlp", duration_s=seconds),
        RunSpec(workload="lstm", duration_s=seconds),
    ]
    ids = []
    store = HistoryStore.open()
    try:
        for spec in [*specs, RunSpec(workload="mlp", duration_s=60, precision="bf16", name="")]:
            run_id, bus, cancel = new_run_id(), EventBus(), threading.Event()
            if spec.duration_s == 60:  # stopped early, as when the window closes mid-run: partial
                threading.Timer(seconds + 4.0, cancel.set).start()
            with recording(bus, run_id, spec, store):
                result = supervise(spec, bus, cancel, run_id=run_id)
            print(f"  {spec.title}: {result.status}, {result.samples_per_s or 0:,.0f} samples/s", flush=True)
            if spec.duration_s != 60:
                ids.append(run_id)
    finally:
        store.close()
    return ids


class Driver:
    """Drives one window; ``wait`` keeps the event loop turning."""

    def __init__(self, args: argparse.Namespace, out: Path) -> None:
        from PySide6.QtWidgets import QApplication

        from gui.widgets.theme import apply_theme
        from gui.window.main_window import MainWindow

        self.app = QApplication.instance() or QApplication(["horsepower-shots"])
        apply_theme(self.app, args.dark)
        self.win = MainWindow()
        self.win.confirm_close = lambda text: True
        if args.dark:
            self.win.set_dark(True)
        width, height = (int(v) for v in args.size.split("x"))
        self.win.resize(width, height)
        self.win.show()
        self.out = out
        self.suffix = ("-dark" if args.dark else "") + ("" if args.size == "1400x900" else f"-{args.size}")
        self.only = {s for s in args.only.split(",") if s}

    def wait(self, seconds: float, until=None) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.processEvents()
            if until is not None and until():
                return True
            time.sleep(0.02)
        return until is None

    def shot(self, name: str) -> None:
        if self.only and name not in self.only:
            return
        self.win.tick()
        self.wait(0.6)
        path = self.out / f"{name}{self.suffix}.png"
        self.win.grab().save(str(path), "PNG")
        print(f"  wrote {path}", flush=True)


def live_shots(d: Driver, seconds: float) -> None:
    from gui.viewmodel import series_store as sk

    d.wait(30, lambda: bool(d.win.controls.workloads) and d.win.workspace.store is not None)
    d.wait(3)
    d.shot("live-idle")
    d.win.controls.duration.setValue(seconds)
    d.win.start_selected()
    d.wait(90, lambda: any(d.win.store.scalar(r, sk.STATE) == "measuring" for r in d.win.session.specs))
    d.wait(min(seconds * 0.6, 8))
    d.shot("live-running")
    d.wait(120, lambda: not d.win.runs.busy)
    d.wait(1.5)
    d.shot("live-final")
    utilization_shot(d)


def utilization_shot(d: Driver) -> None:
    """The "Which utilization is true?" panel over the finished run (its own window)."""
    panel = d.win.live.open_utilization()
    d.win.tick()
    d.wait(0.8)
    if not d.only or "utilization" in d.only:
        path = d.out / f"utilization{d.suffix}.png"
        panel.grab().save(str(path), "PNG")
        print(f"  wrote {path}", flush=True)
    panel.close()


def history_shot(d: Driver) -> None:
    tabs = d.win.workspace
    tabs.show_tab("History")
    tabs.history.refresh()
    d.wait(1.0)
    d.shot("history")


def history_shots(d: Driver, run_ids: list[str]) -> None:
    tabs = d.win.workspace
    tabs.compare_runs(run_ids)
    d.wait(1.0)
    d.shot("compare")
    book_runs = run_ids[:3]
    tabs.value_runs(book_runs)
    view = tabs.value.view
    from PySide6.QtWidgets import QTableWidgetItem

    view.electricity.setValue(0.30)
    view.prices_table.setItem(0, 1, QTableWidgetItem("1500"))
    d.wait(1.0)
    d.shot("value")


def sweep_shots(d: Driver, seconds: float) -> None:
    tabs = d.win.workspace
    tabs.show_tab("Sweep")
    view = tabs.ensure_sweep_view()
    d.wait(0.5)
    view.values.setText("64,256,1024")
    view.duration.setValue(seconds)
    view.run_button.click()
    from profiler.metrics import keys

    def second_point_measuring() -> bool:
        point = tabs.sweeps.current_point
        if len(tabs.sweep.points) != 1 or point is None:
            return False
        return len(tabs.sweeps.point_store.snapshot(point[0], keys.run("samples_per_s"))[0]) > 20

    d.wait(180, second_point_measuring)
    d.shot("sweep-running")
    d.wait(300, lambda: not tabs.sweeps.busy)
    d.wait(1.0)
    d.shot("sweep")


def scaling_shots(d: Driver, seconds: float) -> None:
    """A real 1,2-rank CPU scale sweep over gloo from the Scaling tab."""
    tabs = d.win.workspace
    tabs.show_tab("Scaling")
    form = tabs.scaling.form
    d.wait(60, lambda: form.workload.count() > 0)  # the catalogue loads off the GUI thread
    form.nproc.setText("1,2")
    form.duration.setValue(seconds)
    form.run_button.click()
    d.wait(600, lambda: not tabs.scales.busy)
    d.wait(1.0)
    d.shot("scaling")


def presentation_shots(d: Driver, seconds: float) -> None:
    from gui.viewmodel import series_store as sk

    d.win.controls.duration.setValue(seconds)
    d.win.demo._next.setInterval(2000)
    d.win.demo.enter()
    d.wait(120, lambda: any(r.get("spec", {}).get("origin") == "demo" for r in d.win.session.results.values()))
    d.wait(60, lambda: d.win.demo.rounds >= 2 and len(d.win.session.specs) >= 2)  # the second round began
    newest = list(d.win.session.specs)[-1]
    d.wait(90, lambda: d.win.store.scalar(newest, sk.LIVE) is not None)
    d.wait(min(seconds * 0.6, 5))
    d.shot("presentation")
    d.win.demo.leave()
    d.wait(60, lambda: not d.win.runs.busy)
    d.wait(1.0)
    d.win.workspace.show_live()
    d.shot("after-presentation")


def wants(d: Driver, *names: str) -> bool:
    """True when ``--only`` is not given or names one of ``names`` (skips slow steps otherwise)."""
    return not d.only or bool(d.only & set(names))


def advisor_shot(d: Driver, run_id: str) -> None:
    """The Advisor tab's answer for a real run here: 10 M samples x 3 epochs, electricity 0.30/kWh;
    then scrolled to how good the advice is."""
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QScrollArea

    tabs = d.win.workspace
    page = tabs.show_tab("Advisor")
    page.refresh_runs()
    page.form.select_run(run_id)
    for name, text in (("samples", "1e7"), ("epochs", "3"), ("deadline", "24h"), ("electricity", "0.30")):
        page.form.fields[name].setText(text)
    page.advise()
    d.wait(120, lambda: not page.form.busy)
    d.wait(1.0)
    d.shot("advisor")
    if page.panel is not None:  # scrolled to "How good is this advice" (the back-test's tables)
        scroll = page.findChild(QScrollArea, "advisorScroll")
        top = page.panel.quality_title.mapTo(scroll.widget(), QPoint(0, 0)).y()
        scroll.verticalScrollBar().setValue(top - 12)
        d.wait(0.5)
        d.shot("advisor-quality")


def advisor_model_shot(d: Driver) -> None:
    """The Advisor tab on a model nobody trained here: ResNet-50 at batch 256 in AMP, counted in
    a child process and projected onto the GPUs (the published figures: docs/advisor.md)."""
    from PySide6.QtWidgets import QScrollArea

    page = d.win.workspace.show_tab("Advisor")
    page.form.choose_model("hf:microsoft/resnet-50", "num_labels=1000")
    page.form.fields["batch"].setText("256")
    page.form.precision.setCurrentIndex(page.form.precision.findData("amp"))
    page.advise()
    d.wait(180, lambda: not page.form.busy)
    scroll = page.findChild(QScrollArea, "advisorScroll")
    scroll.verticalScrollBar().setValue(0)  # the form above its answer
    d.wait(1.0)
    d.shot("advisor-model")


def your_model_shot(d: Driver) -> None:
    """The sidebar's "Your model…" after the example model passed its check (knobs as fields)."""
    from profiler.results.model_ref import USER_WORKLOAD

    controls = d.win.controls
    d.win.workspace.show_live()
    controls.workload.setCurrentIndex(controls.workload.findData(USER_WORKLOAD))
    picker = controls.model_picker
    picker.reference.setText("examples/plain_model.py:build")
    picker.reference.textEdited.emit(picker.reference.text())
    picker.check_button.click()
    d.wait(120, lambda: picker.facts is not None or picker.details_button.isVisible())
    d.wait(1.0)
    d.shot("your-model")


def diagnosis_spec(seconds: float, workers: int):
    """mlp-S fed by a DataLoader whose every sample takes 2 ms more: input-bound with 0 workers."""
    from profiler.results.spec import RunSpec

    return RunSpec(workload="mlp", duration_s=seconds, batch_size=64, input_pipeline=True,
                   loader_workers=workers, loader_delay_ms=2.0)


def record_diagnosis_runs(seconds: float) -> list[str]:
    """0 and 2 loader workers, stored in history (the details pane, Compare and the report)."""
    from profiler.events import EventBus
    from profiler.history import HistoryStore, recording
    from profiler.results.result import new_run_id
    from profiler.worker.supervisor import supervise

    ids = []
    store = HistoryStore.open()
    try:
        for workers in (0, 2):
            spec, run_id, bus = diagnosis_spec(seconds, workers), new_run_id(), EventBus()
            with recording(bus, run_id, spec, store):
                result = supervise(spec, bus, threading.Event(), run_id=run_id)
            print(f"  {spec.title}: {result.status}, {result.samples_per_s or 0:,.0f} samples/s", flush=True)
            ids.append(run_id)
    finally:
        store.close()
    return ids


def diagnosis_shots(d: Driver, run_ids: list[str], seconds: float) -> None:
    """Live during an input-bound run, the details pane, Compare 0 vs 2 workers, presentation
    between rounds."""
    from gui.viewmodel import series_store as sk

    controls, tabs = d.win.controls, d.win.workspace
    controls.input.setCurrentIndex(1)
    controls.loader_workers.setValue(0)
    controls.loader_delay.setValue(2.0)
    controls.batch.setValue(64)
    controls.duration.setValue(seconds)
    d.win.start_selected()
    d.wait(120, lambda: d.win.live.phases.verdict_text().startswith("input-bound (from"))
    d.wait(1.0)
    d.shot("live-input-bound")
    d.wait(120, lambda: not d.win.runs.busy)
    tabs.show_tab("History")
    view = tabs.history_view()
    d.wait(10, lambda: view is not None and any(r.run_id == run_ids[0] for r in view.model.runs))
    view.table.selectRow(next(i for i, r in enumerate(view.model.runs) if r.run_id == run_ids[0]))
    d.wait(1.0)
    d.shot("details")
    tabs.compare_runs(run_ids)
    compare = tabs.compare.view
    compare.baseline_box.setCurrentIndex(compare.baseline_box.findData(run_ids[0]))
    d.wait(1.0)
    d.shot("compare-workers")
    d.win.demo._next.setInterval(60_000)  # hold the pause between rounds for the shot
    d.win.demo.enter()
    d.wait(180, lambda: d.win.demo.rounds >= 1 and bool(d.win.session.results) and not d.win.runs.busy)
    newest = list(d.win.session.specs)[-1]
    d.wait(5, lambda: d.win.store.scalar(newest, sk.LIVE) is not None)
    d.wait(1.5)
    d.shot("presentation-between-rounds")
    d.win.demo.leave()
    d.wait(30, lambda: not d.win.runs.busy)


def diagnosis_set(args: argparse.Namespace, out: Path, seconds: float) -> None:
    print("recording runs…", flush=True)
    run_ids = record_diagnosis_runs(seconds)
    for dark in (False, True):
        args.dark = dark
        d = Driver(args, out)
        try:
            d.wait(60, lambda d=d: bool(d.win.controls.workloads) and d.win.workspace.store is not None)
            diagnosis_shots(d, run_ids, seconds)
        finally:
            d.win.close()
            d.app.processEvents()
        report_shot(out, run_ids[:1], d.suffix, name="report-input-bound", size=args.size.replace("x", ","))


def report_shot(out: Path, run_ids: list[str], suffix: str, name: str = "report", size: str = "") -> None:
    from profiler.analysis.prices import PricesError, load_prices
    from profiler.history import HistoryStore
    from profiler.reports.html import comparison_report

    store = HistoryStore.open()
    try:
        runs = [store.get(i) for i in run_ids]
    finally:
        store.close()
    try:
        prices = load_prices()
    except PricesError:
        prices = None
    html = out / f"{name}{suffix}.html"
    html.write_text(comparison_report([r for r in runs if r], prices=prices, title="Horsepower report"),
                    encoding="utf-8")
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        print("  no chromium: report PNG skipped")
        return
    shots = ((name, size or "1400,900"), (f"{name}-full", f"{(size or '1400,900').split(',')[0]},3400"))
    for shot, window in shots:
        png = out / f"{shot}{suffix}.png"
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-extensions", "--no-first-run", "--hide-scrollbars",
                        f"--screenshot={png}", f"--window-size={window}", html.as_uri()],
                       check=False, capture_output=True, timeout=120)
        print(f"  wrote {png}", flush=True)


def main() -> int:
    args = parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="horsepower-shots-"))
    for var, sub in (("HORSEPOWER_DATA_DIR", "data"), ("HORSEPOWER_CONFIG_DIR", "config"),
                     ("HORSEPOWER_LOG_DIR", "log")):
        os.environ[var] = str(work / sub)
    seconds = 3.0 if args.quick else 8.0
    os.environ.setdefault("HORSEPOWER_WAIT_FOR_QUIET_S", "0")  # a shared machine is never quiet: do not wait
    if args.set == "diagnosis":
        diagnosis_set(args, out, seconds)
        return 0
    only = {s for s in args.only.split(",") if s}
    if only == {"scaling"}:  # needs no recorded runs
        d = Driver(args, out)
        try:
            scaling_shots(d, 3.0 if args.quick else 5.0)
        finally:
            d.win.close()
            d.app.processEvents()
        return 0
    print("recording runs…", flush=True)
    run_ids = record_runs(seconds)
    d = Driver(args, out)
    try:
        d.wait(30, lambda: bool(d.win.controls.workloads) and d.win.workspace.store is not None)
        if wants(d, "live-idle", "live-running", "live-final"):
            live_shots(d, seconds)
        if wants(d, "compare", "value"):
            history_shots(d, run_ids)
        if wants(d, "sweep-running", "sweep"):
            sweep_shots(d, 3.0 if args.quick else 6.0)
        if wants(d, "presentation", "after-presentation"):
            presentation_shots(d, seconds)
        if wants(d, "history"):
            history_shot(d)
        if wants(d, "advisor", "advisor-quality"):
            advisor_shot(d, run_ids[0])
        if wants(d, "advisor-model"):
            advisor_model_shot(d)
        if wants(d, "your-model"):
            your_model_shot(d)
        if wants(d, "scaling"):
            scaling_shots(d, 3.0 if args.quick else 5.0)
    finally:
        d.win.close()
        d.app.processEvents()
    if wants(d, "report", "report-full"):
        report_shot(out, run_ids, d.suffix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
