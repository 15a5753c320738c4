"""Sweep view: the sidebar's pickers, the request, curves, a single point's axis (offscreen)."""

from __future__ import annotations

from gui.widgets.sweep_view import SweepView, suggested_values
from profiler.analysis.sweep import sweep
from tests.fakes.engine import fake_catalog
from tests.helpers import fake_sweep_point as fake_run


def _view(qtbot) -> SweepView:
    view = SweepView()
    qtbot.addWidget(view)
    catalog = fake_catalog()
    view.set_catalog(catalog.workloads, [d for d in catalog.devices if d.available],
                     {"mlp": ["batch_size", "depth", "width"]})
    return view


def test_sweep_view_pickers_request_and_result(qtbot):
    view = _view(qtbot)
    assert view.workload.currentData() == "mlp"
    assert [view.knob.itemData(i) for i in range(view.knob.count())] == ["batch_size", "depth", "width"]
    assert view.knob.currentData() == "width"
    assert view.devices.selected_ids() == ["cpu"]
    view.values.setText("64,256,1024,4096")
    with qtbot.waitSignal(view.sig_sweep_requested) as blocker:
        view.run_button.click()
    request = blocker.args[0]
    assert request["values"] == [64, 256, 1024, 4096] and request["devices"] == ["cpu"]
    result = sweep("mlp", "width", request["values"], ["cpu", "cuda:0"], run_fn=fake_run)
    view.show_result(result)
    assert "overtakes cpu at width ~ 500" in view.breakeven_label.text()
    assert len(view.plot.getPlotItem().listDataItems()) == 2
    view.values.setText("64,-1")
    with qtbot.assertNotEmitted(view.sig_sweep_requested):
        view.run_button.click()
    assert "positive integers" in view.error_label.text()


def test_a_single_point_gets_a_sane_axis(qtbot):
    view = _view(qtbot)
    result = sweep("mlp", "width", [256], ["cpu"], run_fn=fake_run)
    view.show_result(result)
    (x_lo, x_hi), (y_lo, y_hi) = view.plot.getViewBox().viewRange()
    assert x_lo < 2.41 < x_hi and x_hi - x_lo >= 0.9  # log10(256) = 2.41, half a decade each side
    assert y_lo == 0 and 1000 < y_hi < 1300  # the CPU point does 1000 samples/s
    assert "tick an accelerator" in view.breakeven_label.text()


def test_values_are_suggested_around_the_preset():
    assert suggested_values(256) == "64,128,256,512,1024"
    assert suggested_values(2) == "1,2,4,8"
