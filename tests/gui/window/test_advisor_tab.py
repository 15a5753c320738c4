"""The Advisor tab over the real advisor: a fabricated run on a catalogued CPU, advised off the GUI thread."""

from __future__ import annotations

import os
import threading
from html import escape

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QScrollArea

from gui.viewmodel.preferences import Preferences
from gui.widgets.advice_panel import PEAK_COLUMN_MAX_PX
from gui.window import exports as export_actions
from gui.window.main_window import MainWindow
from gui.window.pages.advisor_page import COUNTING, NAME_A_MODEL, NO_RUN_YET
from profiler.analysis.advisor import EPOCH_CREDIT, PROJECTED
from profiler.analysis.advisor.count_child import STOPPED
from profiler.analysis.advisor.text import row_cells
from profiler.reports import advisor as advisor_facade
from profiler.reports.advisor import advise_run, gather_inputs, read_constraints
from profiler.results.result import RunResult
from tests.fakes.engine import fake_catalog, fake_supervise
from tests.gui.window.window_kit import open_window
from tests.helpers import fabricated

RYZEN = "AMD Ryzen 9 9950X 16-Core Processor"
ADVICE_TIMEOUT_MS = 60_000


def ryzen_run(run_id: str = "20261201-000000-abcdef", name: str = "mlp on the Ryzen") -> dict:
    """A completed MLP run measured on a CPU the catalogue knows (so one row is measured)."""
    run = fabricated(run_id, workload="mlp", knobs={"width": 64, "depth": 1}, name=name)
    run.environment = {"torch": "2.13.0", "hostname": "elsewhere", "cpu_model": RYZEN, "torch_threads": 16}
    run.device_info = {"name": RYZEN, "details": {"physical_cores": 16}}
    return run.to_dict()


@pytest.fixture
def window(qtbot, tmp_path):
    with open_window(qtbot, ready="store", preferences=Preferences(tmp_path / "window.json")) as win:
        yield win


@pytest.fixture
def stored(window):
    run = ryzen_run()
    window.workspace.store.store_result(run)
    return run


def fill(page, **values: str) -> None:
    for name, text in values.items():
        if name == "mode":
            page.form.mode.setCurrentIndex(page.form.mode.findData(text))
        else:
            page.form.fields[name].setText(text)


def advise_and_wait(qtbot, page) -> None:
    assert page.advise()
    qtbot.waitUntil(lambda: not page.form.busy, timeout=ADVICE_TIMEOUT_MS)


def test_advice_on_a_stored_run_shows_the_engines_answer(window, stored, qtbot):
    page = window.workspace.show_tab("Advisor")
    assert page.form.chosen() == ("stored", stored["run_id"])
    fill(page, samples="1e8", epochs="3", electricity="0.3")
    thread_names: list[str] = []
    real = page.link.advise_fn

    def spy(*args):
        thread_names.append(threading.current_thread().name)
        return real(*args)

    page.link.advise_fn = spy
    advise_and_wait(qtbot, page)
    assert thread_names and thread_names[0] != threading.main_thread().name  # off the GUI thread
    assert not page.message.isVisible() and page.panel is not None and page.panel.isVisible()

    # the same calls as `horsepower advise`, made here independently
    expected = advise_run(RunResult.from_dict(stored), read_constraints(samples="1e8", epochs="3", electricity="0.3"),
                          gather_inputs(window.workspace.store))
    panel = page.panel
    assert panel.recommendation.text() == expected.recommendation
    assert "RTX" in panel.recommendation.text() and PROJECTED in panel.recommendation.text()
    assert "300,000,000 samples" in panel.job.text()
    table = panel.table
    assert table.rowCount() == len(expected.rows) > 5
    for r in (0, len(expected.rows) - 1):
        cells = [table.item(r, c).text() for c in range(12)]
        assert cells == row_cells(r + 1, expected.rows[r], "USD")
    figures = [table.item(r, 3).text() for r in range(table.rowCount())]
    measured = [r for r, text in enumerate(figures) if text == "measured"]
    assert len(measured) == 1 and "Ryzen 9 9950X" in table.item(measured[0], 1).text()
    assert figures.count(PROJECTED) == len(figures) - 1
    assert table.item(measured[0], 1).font().bold() and not table.item(0 if measured[0] else 1, 1).font().bold()
    assert PROJECTED in table.item(0 if measured[0] else 1, 1).toolTip()
    header = table.horizontalHeader()  # shown: what a buyer decides on before the peak's wording
    shown = sorted(range(table.columnCount()), key=header.visualIndex)
    names = [table.horizontalHeaderItem(c).text() for c in shown]
    assert names[:6] == ["#", "device", "figures", "time to train", "cost", "fits"] and names[-1] == "peak used"
    peak = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())].index("peak used")
    assert table.columnWidth(peak) <= PEAK_COLUMN_MAX_PX
    assert table.item(0, peak).toolTip().startswith(table.item(0, peak).text() + "\n\n")  # whole, where elided
    assert panel.quality_title.isVisible() and expected.scorecards
    doc = QTextDocument()
    doc.setHtml(panel.quality.text())
    shown = doc.toPlainText()
    for card in expected.scorecards:  # each regime's four figures, each marked met or not
        assert card.title in shown
        for score in card.scores:
            assert score.name in shown and f"{score.value} {'✓' if score.met else '✗'}" in shown
        for order in card.orders:
            assert f"{order.share:.0%}" in shown
    assert "✗" in shown  # the GPU-order target is not met: the table says so
    assert expected.memory_line and expected.memory_line in shown
    assert panel.quality.toolTip() == "\n".join(expected.quality)  # the same in words

    chart = panel.chart
    assert len(chart.points) == len(expected.chart)
    front = sorted((p for p in expected.chart if p.on_front), key=lambda p: p.time_s.nominal)
    assert chart.front_names == [p.name for p in front] and front
    scatters = {item.name(): item for item in chart.getPlotItem().listDataItems() if hasattr(item, "points")}
    untested = [p for p in expected.chart if p.untested]
    assert untested  # a GPU of a vendor the published corpus lacks (AMD, Intel) is in the catalogue
    assert len(scatters["measured"].points()) == 1
    assert len(scatters[PROJECTED].points()) == len(expected.chart) - 1 - len(untested)
    assert len(scatters["projected, untested"].points()) == len(untested)
    symbols = {name: scatters[name].opts["symbol"] for name in ("measured", PROJECTED, "projected, untested")}
    assert len(set(symbols.values())) == 3, symbols  # the three are visibly distinct
    labelled = {label.toPlainText() for label in chart.labels}
    assert any("(measured)" in text for text in labelled)

    assert EPOCH_CREDIT in panel.credits.text() and panel.credits.isVisible()
    assert [table.item(0, c).text() for c in (12, 13)] == ["yes", "yes"]  # no deadline, no budget: both met
    assert page.html_button.isEnabled()

    # the answer fits a 1280x720 window: the page scrolls down, never sideways
    window.show()
    window.resize(1280, 720)
    scroll = page.findChild(QScrollArea, "advisorScroll")
    qtbot.waitUntil(lambda: scroll.viewport().width() < 1280 - 300, timeout=5000)
    qtbot.wait(50)
    assert scroll.widget().minimumSizeHint().width() <= scroll.viewport().width(), \
        (scroll.widget().minimumSizeHint().width(), scroll.viewport().width())
    assert scroll.horizontalScrollBar().maximum() == 0


@pytest.mark.parametrize(("values", "line"), [
    ({"samples": "0"}, "samples must be a whole number from 1 to"),
    ({"epochs": "-1"}, "epochs must be a number above 0"),
    ({"budget": "cheap"}, "budget 'cheap' is not an amount"),
    ({"deadline": "tomorrow"}, "deadline 'tomorrow' is not a duration"),
    ({"hours_per_day": "30"}, "hours per day must be a number from 0.01 to 24 hours, got 30"),
    ({"batch": "0"}, "batch must be a whole number more than zero, got '0'"),
])
def test_bad_constraints_say_one_line_and_compute_nothing(window, stored, qtbot, monkeypatch, values, line):
    calls: list[object] = []
    monkeypatch.setattr(advisor_facade, "advise_run", lambda *a, **k: calls.append(a))
    page = window.workspace.show_tab("Advisor")
    fill(page, **values)
    advise_and_wait(qtbot, page)
    assert page.message.isVisible()
    assert page.message.text().startswith("Cannot advise: ")
    assert line in page.message.text() and "\n" not in page.message.text()
    assert calls == [] and page.answered is None and page.panel is None
    assert not page.html_button.isEnabled()


def test_a_bad_answer_after_a_good_one_hides_the_stale_answer(window, stored, qtbot):
    page = window.workspace.show_tab("Advisor")
    advise_and_wait(qtbot, page)
    assert page.panel.isVisible()
    fill(page, deadline="soon")
    advise_and_wait(qtbot, page)
    assert "deadline 'soon' is not a duration" in page.message.text()
    assert not page.panel.isVisible() and page.shown_advice() is None


def test_a_stored_run_this_version_cannot_read_is_one_line(window, stored, qtbot):
    future = ryzen_run("20261201-000002-f00000", name="from a newer Horsepower")
    future["spec"]["hologram_mode"] = True  # a spec field this version does not know
    window.workspace.store.store_result(future)
    page = window.workspace.show_tab("Advisor")
    assert page.form.select_run(future["run_id"])
    advise_and_wait(qtbot, page)
    assert page.message.text() == ("Cannot advise: run '20261201-000002-f00000' cannot be read as a run "
                                   "(unknown run spec field(s): hologram_mode); pick another")
    assert page.panel is None


def test_no_run_yet_offers_a_model_not_trained_here(window, qtbot):
    page = window.workspace.show_tab("Advisor")
    assert not page.showing_empty and page.hint.text() == NO_RUN_YET
    assert page.form.model_chosen() and page.form.chosen() is None and page.form.fields["model"].isVisible()
    assert not page.advise() and page.message.text() == f"Cannot advise: {NAME_A_MODEL}"


def test_a_model_not_trained_here_is_counted_in_a_child_and_projected_onto_gpus(window, stored, qtbot):
    page = window.workspace.show_tab("Advisor")
    assert not page.form.model_chosen() and not page.form.fields["model"].isVisible()
    page.form.choose_model("mlp-M", "width=512")
    assert page.form.fields["model"].isVisible() and page.form.fields["batch"].placeholderText() == "required"
    assert page.form.precision.currentData() == "fp32"  # "As the run" means nothing without a run
    page.form.precision.setCurrentIndex(page.form.precision.findData("amp"))
    fill(page, batch="256")
    advise_and_wait(qtbot, page)
    assert not page.message.isVisible(), page.message.text()
    assert page.answered.run_id == "counted" and page.answered.title.startswith("mlp-M bs256 amp")
    advice = page.shown_advice()
    a100 = next(r for r in advice.rows if r.device.id == "a100-sxm4-80gb")
    assert a100.projection.samples_per_s.nominal > 0 and not a100.measured
    assert advice.target is not None and advice.target.facts.knobs == {"width": 512}
    page.form.choose_model("resnet50")
    page.form.fields["knobs"].setText("")
    advise_and_wait(qtbot, page)
    assert page.message.text().startswith("Cannot advise: 'resnet50' is not a built-in model (cnn, gpt, lstm, mlp")
    page.form.select_run(stored["run_id"])
    assert page.form.values()["model"] == "" and page.form.precision.model().item(0).isEnabled()


def test_stop_counting_ends_a_count_that_hangs(window, qtbot, tmp_path):
    slow = tmp_path / "slow.py"
    slow.write_text("import time\n\ndef build():\n    time.sleep(120)\n")
    page = window.workspace.show_tab("Advisor")
    page.form.choose_model(f"{slow}:build")
    fill(page, batch="8")
    assert page.advise()
    button = page.form.advise_button
    assert button.text() == "Stop counting" and button.isEnabled() and page.hint.text() == COUNTING
    qtbot.waitUntil(lambda: page.link.counter._child is not None, timeout=30_000)  # the child runs
    button.click()
    qtbot.waitUntil(lambda: not page.form.busy, timeout=10_000)
    assert page.message.text() == f"Cannot advise: {STOPPED}" and button.text() == "Advise"
    page.form.choose_model("mlp")
    advise_and_wait(qtbot, page)  # the next count runs
    assert not page.message.isVisible() and page.answered.title.startswith("mlp bs8 fp32")


def test_a_published_model_fills_the_model_and_all_its_knobs(window):
    page = window.workspace.show_tab("Advisor")
    form = page.form
    form.choose_model("mine.py:build", "width=3")
    menu = form.published.menu()
    menu.aboutToShow.emit()
    names = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert any(n.startswith("ResNet-50 v1.5 · hf:microsoft/resnet-50 · ") for n in names)
    assert any(n.startswith("BERT-large uncased (seq 384) · hf:bert · ") for n in names)
    assert not any("timm:" in n for n in names)  # no counted facts here: not offered
    next(a for a in menu.actions() if a.text().startswith("ResNet-50 v1.5")).trigger()
    assert form.model_chosen() and form.fields["model"].text() == "hf:microsoft/resnet-50"
    assert form.fields["knobs"].text() == "num_labels=1000"
    next(a for a in menu.actions() if a.text().startswith("GNMT")).trigger()
    assert form.values()["model"] == "lstm" and form.values()["knobs"] == "hidden=1024 layers=4 seq_len=50 vocab=32320"


def test_the_current_run_is_offered_first_and_advised_as_it_is(window, stored, qtbot):
    current = ryzen_run("20261201-000001-fedcba", name="just now")
    window.workspace.advisor.set_current(current)
    page = window.workspace.show_tab("Advisor")
    assert page.form.run.itemText(0).startswith("Current run: just now")
    assert page.form.chosen() == ("current", current["run_id"])
    seen: list[tuple] = []
    real = page.link.advise_fn
    page.link.advise_fn = lambda form, run, run_id, store, counter: (
        seen.append((run, run_id)), real(form, run, run_id, store, counter))[1]
    advise_and_wait(qtbot, page)
    assert seen[0][0]["run_id"] == current["run_id"]  # the result dict itself: not stored anywhere
    assert page.answered.title.startswith("just now")


def test_the_form_is_remembered_between_launches(qtbot, tmp_path):
    prefs = tmp_path / "window.json"
    first = MainWindow(catalog_fn=fake_catalog, supervise_fn=fake_supervise, preferences=Preferences(prefs))
    qtbot.addWidget(first)
    page = first.workspace.advisor
    fill(page, samples="5e6", deadline="36h", mode="rent")
    page.form.budget_kind.setCurrentIndex(1)
    first.shutdown()
    second = MainWindow(catalog_fn=fake_catalog, supervise_fn=fake_supervise, preferences=Preferences(prefs))
    qtbot.addWidget(second)
    try:
        form = second.workspace.advisor.form
        assert form.fields["samples"].text() == "5e6" and form.fields["deadline"].text() == "36h"
        assert form.mode.currentData() == "rent" and not form.fields["years"].isEnabled()
        fill(second.workspace.advisor, budget="2")
        assert form.values()["budget"] == "2/h" and form.values()["mode"] == "rent"
    finally:
        second.shutdown()


def test_stakeholder_report_carries_the_advice_of_a_compared_run(window, stored, qtbot, monkeypatch, tmp_path):
    window.workspace.store.store_result(fabricated("other", "cpu", step_s=0.02, name="other").to_dict())

    def ask(parent, title, suggested, file_filter):
        return str(tmp_path / os.path.basename(suggested))

    monkeypatch.setattr(export_actions, "ask_save_path", ask)
    tabs = window.workspace

    def report() -> str:
        tabs.compare_runs([stored["run_id"], "other"])
        tabs.save_compare_html()
        [path] = [p for p in tmp_path.glob("horsepower-report-*.html")]
        text = path.read_text()
        path.unlink()
        return text

    assert "Which hardware?" not in report()  # no advice yet: no section
    page = tabs.show_tab("Advisor")
    assert page.form.select_run(stored["run_id"])
    advise_and_wait(qtbot, page)
    text = report()
    assert "Which hardware?" in text and "Epoch AI" in text
    assert escape(page.panel.recommendation.text()) in text
    tabs.show_tab("Advisor")
    tabs.save_advice_html()
    [one_page] = list(tmp_path.glob("horsepower-advice-*.html"))
    assert "Horsepower advisor: mlp on the Ryzen" in one_page.read_text()


def test_about_box_credits_epoch_ai(window):
    from gui.window.about import about_box

    box = about_box(window, "2.13.0")
    assert box.textFormat() == Qt.TextFormat.RichText
    assert "Epoch AI" in box.text() and "CC BY 4.0" in box.text()
    assert "Data on Machine Learning Hardware" in box.text() and "2.13.0" in box.text()


def test_chart_labels_keep_the_core_count_that_tells_two_slices_apart() -> None:
    from gui.widgets.cost_time_chart import LABEL_CHARS, short

    one = short("Intel Xeon with AMX (4th gen Xeon Scalable or newer), 1 core")
    two = short("Intel Xeon with AMX (4th gen Xeon Scalable or newer), 2 cores")
    assert one != two and one.endswith("…, 1 core") and two.endswith("…, 2 cores")
    assert len(two) <= LABEL_CHARS
    assert short("NVIDIA GeForce RTX 5090") == "NVIDIA GeForce RTX 5090"


def test_advice_first_shown_in_dark_mode_draws_its_chart_dark(window, stored, qtbot):
    from gui.widgets.theme import PLOT_BG

    window.set_dark(True)  # before the Advisor tab has made its answer panel
    page = window.workspace.show_tab("Advisor")
    assert page.panel is None
    advise_and_wait(qtbot, page)
    chart = page.panel.chart
    assert chart.dark and chart.backgroundBrush().color().name().lower() == PLOT_BG["dark"].lower()
