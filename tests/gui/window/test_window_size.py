"""The window size is bounded: a huge ``--window-size`` or saved size is shrunk to the screen,
and a damaged saved size (1e30, text, a boolean) or a damaged ``window.json`` is ignored."""

from __future__ import annotations

import json

import pytest
from PySide6.QtGui import QGuiApplication

from gui.app.window_command import build_parser
from gui.viewmodel.preferences import Preferences
from gui.window.geometry import PREFERRED as DEFAULT_SIZE
from gui.window.geometry import saved_size, within_screen
from gui.window.main_window import MainWindow
from tests.fakes.engine import fake_catalog, fake_supervise


def screen_size() -> tuple[int, int]:
    area = QGuiApplication.primaryScreen().availableGeometry()
    return area.width(), area.height()


def test_sizes_are_checked_and_fit_the_screen(qapp) -> None:
    for bad in ([1e30, 900], [True, 900], ["1400", 900], [1400], [10**40, 10**40], None, "1400x900"):
        assert saved_size(bad) is None
    assert saved_size([1400, 900]) == (1400, 900)
    width, height = within_screen(100_000, 100_000)
    assert (width, height) == screen_size()
    for bad in ("1e30x5", "100000x100000", "nanx800", "800"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["--window-size", bad])
    assert build_parser().parse_args(["--window-size", "20000x20000"]).window_size == (20_000, 20_000)


@pytest.mark.parametrize("stored", [[100_000, 100_000], [1e30, 1e30], "junk", [10**40, 5]])
def test_a_huge_or_damaged_saved_size_never_reaches_the_window(qtbot, tmp_path, stored) -> None:
    path = tmp_path / "window.json"
    path.write_text(json.dumps({"schema": 1, "window_size": stored}))
    win = MainWindow(catalog_fn=fake_catalog, supervise_fn=fake_supervise, preferences=Preferences(path))
    qtbot.addWidget(win)
    try:
        limit = screen_size()
        assert win.width() <= max(limit[0], DEFAULT_SIZE[0]) and win.height() <= max(limit[1], DEFAULT_SIZE[1])
    finally:
        win.shutdown()
    saved = json.loads(path.read_text())["window_size"]
    assert saved[0] <= limit[0] and saved[1] <= limit[1]  # what is saved fits the screen too


def test_a_damaged_window_json_is_set_aside(tmp_path) -> None:
    path = tmp_path / "window.json"
    path.write_text("[" * 10_000)
    prefs = Preferences(path)
    assert prefs.values == {} and not path.exists()
    assert [p.read_text() for p in tmp_path.glob("window.json.bad-*")] == ["[" * 10_000]
