"""Sweep view: request signal, curves and the break-even text (offscreen)."""

from __future__ import annotations

from gui.widgets.sweep_view import SweepView
from profiler.analysis.sweep import sweep
from tests.helpers import fake_sweep_point as fake_run


def test_sweep_view_request_and_result(qtbot):
    view = SweepView()
    qtbot.addWidget(view)
    view.devices.setText("cpu, cuda:0")
    with qtbot.waitSignal(view.sig_sweep_requested) as blocker:
        view.run_button.click()
    request = blocker.args[0]
    assert request["values"] == [64, 256, 1024, 4096] and request["devices"] == ["cpu", "cuda:0"]
    result = sweep(request["workload"], request["knob"], request["values"], request["devices"],
                   run_fn=fake_run)
    view.show_result(result)
    assert "overtakes cpu at width ~ 500" in view.breakeven_label.text()
    assert len(view.plot.getPlotItem().listDataItems()) == 2
    view.values.setText("64,-1")
    with qtbot.assertNotEmitted(view.sig_sweep_requested):
        view.run_button.click()
    assert "positive integers" in view.error_label.text()
