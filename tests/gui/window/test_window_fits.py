"""The window fits the screen it opens on: sized to the available area, every page usable at 1280x720."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect

from gui.window.geometry import PREFERRED, fit_to_screen, fitted_size
from gui.window.main_window import MainWindow
from gui.window.tabs import TABS
from tests.fakes.engine import fake_catalog, fake_supervise


def test_fitted_size_is_never_larger_than_the_screen():
    assert fitted_size(None, (1920, 1080)) == PREFERRED
    w, h = fitted_size(None, (1280, 720))
    assert w <= 1280 and h <= 720 and (w, h) == (int(1280 * 0.92), int(720 * 0.92))
    assert fitted_size((2400, 1400), (1280, 720)) == (1280, 720)  # a size remembered on a bigger screen
    assert fitted_size((1000, 600), (1920, 1080)) == (1000, 600)


@pytest.fixture
def window(qtbot):
    win = MainWindow(catalog_fn=fake_catalog, supervise_fn=fake_supervise)
    qtbot.addWidget(win)
    yield win
    win.shutdown()


def test_window_geometry_at_a_1280x720_screen(window, qtbot):
    screen = QRect(0, 0, 1280, 720)
    fit_to_screen(window, None, screen)
    window.show()
    qtbot.waitUntil(lambda: bool(window.controls.workloads), timeout=5000)
    assert window.width() <= 1280 and window.height() <= 720
    assert screen.contains(window.geometry())
    window.resize(1280, 720)
    for name in TABS:
        window.workspace.show_tab(name)
        qtbot.wait(10)
        hint = window.centralWidget().minimumSizeHint()
        # the main layout fits: nothing forces the window wider than the screen, so no page
        # scrolls sideways
        assert hint.width() <= 1280, (name, hint)
        assert window.minimumSizeHint().height() <= 720, (name, window.minimumSizeHint())
        assert window.width() <= 1280


def test_input_pipeline_controls_make_the_spec_and_are_remembered(window, qtbot):
    window.show()
    qtbot.waitUntil(lambda: bool(window.controls.workloads), timeout=5000)
    controls = window.controls
    assert not controls.loader_workers.isEnabled() and not controls.loader_workers.isVisible()  # no DataLoader: no rows
    [plain] = controls.specs_for(["cpu"])
    assert not plain.input_pipeline and plain.loader_delay_ms == 0.0
    controls.input.setCurrentIndex(1)
    controls.loader_workers.setValue(0)
    controls.loader_delay.setValue(2.0)
    assert controls.loader_workers.isEnabled() and controls.loader_delay.isEnabled()
    [spec] = controls.specs_for(["cpu"])
    assert spec.input_pipeline and spec.loader_workers == 0 and spec.loader_delay_ms == 2.0
    assert "loader 0 workers +2 ms/sample" in spec.title and spec.pin_memory
    controls.input.setCurrentIndex(2)
    assert controls.specs_for(["cpu"])[0].pin_memory is False
    controls.input.setCurrentIndex(1)
    saved = controls.settings()
    controls.input.setCurrentIndex(0)
    controls.loader_workers.setValue(5)
    controls.apply_settings(saved)
    assert controls.input.currentIndex() == 1 and controls.loader_workers.value() == 0
    controls.set_running(True)
    assert not controls.loader_workers.isEnabled() and not controls.input.isEnabled()
    controls.set_running(False)
    assert controls.loader_workers.isEnabled()


def test_a_wheel_over_a_chart_in_a_page_scrolls_the_page_not_the_chart(qtbot):
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent

    from gui.widgets.cost_time_chart import CostTimeChart

    chart = CostTimeChart()
    qtbot.addWidget(chart)
    chart.resize(400, 320)
    chart.show()
    before = chart.getPlotItem().vb.viewRange()
    event = QWheelEvent(QPointF(200, 160), QPointF(200, 160), QPoint(0, 0), QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    chart.wheelEvent(event)
    assert not event.isAccepted()  # left to the scroll area around the page
    assert chart.getPlotItem().vb.viewRange() == before
