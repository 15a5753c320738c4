"""History's ranks column and filter, and the device picker's support tooltips and dialog (offscreen)."""

from __future__ import annotations

import pytest

from gui.runs.catalog_loader import device_support
from gui.widgets.device_picker import DevicePicker
from gui.widgets.device_support import capability_lines, kind_key, support_for
from gui.widgets.history_view import ANY_RANKS, COLUMNS, HistoryView
from profiler.devices.discovery import list_devices
from profiler.history import HistoryStore
from tests.fakes.engine import FakeDevice
from tests.helpers import fabricated


@pytest.fixture
def store(tmp_path):
    store = HistoryStore(tmp_path)
    store.store_result(fabricated("single", "cpu", name="single").to_dict())
    store.store_result(fabricated("pair", "cpu", name="pair", world_size=2).to_dict())
    store.store_result(fabricated("quad", "cpu", name="quad", world_size=4).to_dict())
    yield store
    store.close()


def ranks_by_name(view: HistoryView) -> dict[str, str]:
    col = COLUMNS.index("Ranks")
    return {view.model.data(view.model.index(r, 0)): view.model.data(view.model.index(r, col))
            for r in range(view.model.rowCount())}


def test_history_shows_ranks_and_filters_by_them(qtbot, store):
    view = HistoryView(store)
    qtbot.addWidget(view)
    assert ranks_by_name(view) == {"single": "1", "pair": "2", "quad": "4"}
    assert [view.ranks.itemText(i) for i in range(view.ranks.count())] == [ANY_RANKS, "1 rank", "2 ranks", "4 ranks"]
    view.ranks.setCurrentIndex(view.ranks.findData(2))
    assert ranks_by_name(view) == {"pair": "2"}
    view.filter_edit.setText("quad")  # both filters at once: nothing left
    assert view.model.rowCount() == 0
    view.filter_edit.setText("")
    store.store_result(fabricated("octet", "cpu", name="octet", world_size=8).to_dict())
    view.refresh()  # a new world size is offered; the choice stays
    assert view.ranks.findData(8) > 0 and view.ranks.currentData() == 2
    view.ranks.setCurrentIndex(0)
    assert set(ranks_by_name(view)) == {"single", "pair", "quad", "octet"}


def test_device_tooltips_say_what_a_device_reports_and_what_a_missing_kind_needs(qtbot):
    devices = list_devices()  # this machine, through the engine
    support, capabilities = device_support(devices)
    picker = DevicePicker(explain=True)
    qtbot.addWidget(picker)
    picker.set_devices(devices)
    picker.set_support(support, capabilities)
    cpu_tip = picker.item_for("cpu").toolTip()
    lines = capability_lines(capabilities["cpu"])
    assert lines and all(line in cpu_tip for line in lines)
    assert any(line.startswith("power: ") for line in lines)
    missing = [d for d in devices if not d.available]
    for device in missing:
        tip = picker.item_for(device.id).toolTip()
        row = support_for(device, support)
        assert tip.startswith(f"Not usable: {device.reason}") and row is not None
        assert f"Needs: {row['needs']}" in tip
    dialog = picker.explain_dialog()
    kinds = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert "CPU" in kinds and len(kinds) == len(support) >= 3
    cpu_row = kinds.index("CPU")
    assert dialog.table.item(cpu_row, 1).text() == "here"
    absent = [r for r, row in enumerate(support) if not row["present"] and row.get("trainable", True)]
    assert absent and "Needs: " in dialog.table.item(absent[0], 3).text()


def test_an_amd_gpu_is_looked_up_as_rocm():
    amd = FakeDevice("cuda:0", "cuda", "AMD Instinct MI300X", "AMD")
    nvidia = FakeDevice("cuda:0", "cuda", "NVIDIA H200", "NVIDIA")
    rows = [{"key": "cuda", "needs": "CUDA"}, {"key": "rocm", "needs": "ROCm"}]
    assert kind_key(amd) == "rocm" and support_for(amd, rows) == rows[1]
    assert kind_key(nvidia) == "cuda" and support_for(nvidia, rows) == rows[0]
