"""Packaging and desktop integration, checked without building the bundle."""

from __future__ import annotations

import ast
import fnmatch
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.paths import REPO_ROOT

ROOT = REPO_ROOT
PACKAGING = ROOT / "packaging"
RESOURCES = ROOT / "resources"
SIZES_PX = (16, 24, 32, 48, 64, 128, 256, 512)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


# ---- desktop entry -------------------------------------------------------------------

def desktop_keys(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if "=" in line)


def test_desktop_entry_validates() -> None:
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate missing (apt-get install desktop-file-utils)")
    proc = subprocess.run([validator, str(RESOURCES / "horsepower.desktop")], capture_output=True, text=True)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_desktop_entry_launches_the_window_with_our_icon() -> None:
    keys = desktop_keys(RESOURCES / "horsepower.desktop")
    assert keys["Type"] == "Application"
    assert keys["Exec"] == "horsepower"  # no arguments: the launcher opens the window
    assert keys["Icon"] == "horsepower"
    assert keys["Terminal"] == "false"


# ---- icons ---------------------------------------------------------------------------

@pytest.mark.parametrize("size_px", SIZES_PX)
def test_icon_png_has_its_size(size_px: int) -> None:
    path = RESOURCES / "icons" / f"horsepower-{size_px}.png"
    assert path.is_file(), f"missing {path}; run python packaging/render_icons.py"
    assert png_size(path) == (size_px, size_px)


def test_windows_ico_holds_the_small_sizes() -> None:
    data = (RESOURCES / "icons" / "horsepower.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    widths = sorted(data[6 + 16 * i] or 256 for i in range(count))
    assert widths == [16, 24, 32, 48, 64, 128, 256]


def test_committed_icons_match_the_svg(tmp_path: Path) -> None:
    """The PNGs are renders of the current SVG (re-run packaging/render_icons.py after editing it)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(PACKAGING))
    try:
        import render_icons
    finally:
        sys.path.remove(str(PACKAGING))
    from PySide6.QtGui import QImage

    render_icons.render(RESOURCES / "horsepower.svg", tmp_path)
    for size_px in (16, 64):
        fresh = QImage(str(tmp_path / f"horsepower-{size_px}.png"))
        committed = QImage(str(RESOURCES / "icons" / f"horsepower-{size_px}.png"))
        assert fresh.size() == committed.size()
        diff = sum(
            abs(fresh.pixelColor(x, y).red() - committed.pixelColor(x, y).red())
            + abs(fresh.pixelColor(x, y).alpha() - committed.pixelColor(x, y).alpha())
            for x in range(size_px) for y in range(size_px)
        )
        assert diff / (size_px * size_px) < 4, f"{size_px} px icon is stale"


def test_package_data_ships_every_resource() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["resources"]
    shipped = [p for p in RESOURCES.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".py"]
    assert len(shipped) >= len(SIZES_PX) + 3
    for path in shipped:
        rel = path.relative_to(RESOURCES).as_posix()
        assert any(fnmatch.fnmatch(rel, pat) for pat in patterns), f"{rel} is not in package-data"


# ---- PyInstaller spec ----------------------------------------------------------------

class _Recorder:
    """Stands in for PyInstaller's spec globals and records how each was called."""

    def __init__(self) -> None:
        self.calls: dict[str, list[dict[str, Any]]] = {}

    def __call__(self, name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> Any:
            self.calls.setdefault(name, []).append({"args": args, **kwargs})
            return type(name, (), {"pure": [], "scripts": [], "binaries": [], "datas": []})()

        return record


def load_spec(platform: str) -> _Recorder:
    rec = _Recorder()
    namespace = {name: rec(name) for name in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")}
    namespace["SPECPATH"] = str(PACKAGING)
    real = sys.platform
    sys.platform = platform
    try:
        exec(compile((PACKAGING / "horsepower.spec").read_text(), "horsepower.spec", "exec"), namespace)
    finally:
        sys.platform = real
    return rec


def test_spec_builds_onedir_without_upx() -> None:
    rec = load_spec("linux")
    code = [ln.split("#")[0] for ln in (PACKAGING / "horsepower.spec").read_text().splitlines()]
    assert not any("onefile" in ln.lower() for ln in code)
    (exe,) = rec.calls["EXE"]
    assert exe["exclude_binaries"] is True  # onedir: binaries are collected beside the executable
    assert exe["name"] == "horsepower" and exe["upx"] is False and exe["console"] is True
    (coll,) = rec.calls["COLLECT"]
    assert coll["name"] == "horsepower" and coll["upx"] is False
    assert "BUNDLE" not in rec.calls


def test_spec_collects_resources_and_our_modules() -> None:
    (analysis,) = load_spec("linux").calls["Analysis"]
    assert analysis["args"][0][0].endswith("packaging/entry.py")
    datas = {(Path(src).relative_to(ROOT).as_posix(), dest) for src, dest in analysis["datas"]}
    assert ("resources/horsepower.desktop", "resources") in datas
    assert ("resources/horsepower.svg", "resources") in datas
    assert ("resources/published/backtests.json.gz", "resources/published") in datas  # first advice: 1 s, not 15
    for size_px in SIZES_PX:
        assert (f"resources/icons/horsepower-{size_px}.png", "resources/icons") in datas
    hidden = set(analysis["hiddenimports"])
    assert {"gui.app.selftest", "gui.app.selftest_checks", "profiler.worker", "profiler.worker.child",
            "resources"} <= hidden
    assert {"tkinter", "matplotlib", "IPython", "pytest"} <= set(analysis["excludes"])


def test_spec_is_windowed_on_windows_and_macos() -> None:
    win = load_spec("win32")
    assert [(e["name"], e["console"]) for e in win.calls["EXE"]] == [("horsepower", False), ("horsepower-cli", True)]
    assert win.calls["EXE"][0]["icon"].endswith("horsepower.ico")
    mac = load_spec("darwin")
    assert mac.calls["EXE"][0]["console"] is False
    assert mac.calls["BUNDLE"][0]["name"] == "Horsepower.app"


# ---- frozen entry point --------------------------------------------------------------

def test_entry_calls_freeze_support_before_anything_else() -> None:
    tree = ast.parse((PACKAGING / "entry.py").read_text(encoding="utf-8"))
    body = [node for node in tree.body if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    assert isinstance(body[0], ast.Import) and body[0].names[0].name == "multiprocessing"
    call = body[1]
    assert isinstance(call, ast.Expr) and ast.unparse(call) == "multiprocessing.freeze_support()"
    module_imports = [ast.unparse(n) for n in body[2:] if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert not any("gui" in text or "torch" in text or "PySide6" in text for text in module_imports)


def test_entry_routes_dash_m_like_python() -> None:
    """A helper started as ``sys.executable -m module`` works through the frozen entry."""
    proc = subprocess.run(
        [sys.executable, str(PACKAGING / "entry.py"), "-m", "gui.app.selftest", "--probe-qt"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen",  # this tree, installed or not
             "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)},
    )
    assert proc.returncode == 0, proc.stderr
    assert "offscreen platform started" in proc.stdout


# ---- scripts -------------------------------------------------------------------------

@pytest.mark.parametrize("script", ["build", "build-and-selftest", "install_desktop_entry.sh"])
def test_scripts_are_executable_bash(script: str) -> None:
    path = PACKAGING / script
    assert os.access(path, os.X_OK), f"{path} is not executable"
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0


def test_install_desktop_entry_round_trip(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    script = str(PACKAGING / "install_desktop_entry.sh")
    target = Path(sys.executable).resolve()
    proc = subprocess.run([script, "--exec", str(target)], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    entry = tmp_path / "applications" / "horsepower.desktop"
    keys = desktop_keys(entry)
    assert keys["Exec"] == keys["TryExec"] == str(target)
    for size_px in SIZES_PX:
        icon = tmp_path / "icons" / "hicolor" / f"{size_px}x{size_px}" / "apps" / "horsepower.png"
        assert png_size(icon) == (size_px, size_px)
    assert (tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "horsepower.svg").is_file()

    proc = subprocess.run([script, "--uninstall"], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert not entry.exists()
    assert not list((tmp_path / "icons").rglob("horsepower.*"))


def test_install_desktop_entry_refuses_a_missing_executable(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    proc = subprocess.run(
        [str(PACKAGING / "install_desktop_entry.sh"), "--exec", str(tmp_path / "nope")],
        env=env, capture_output=True, text=True,
    )
    assert proc.returncode != 0 and "not an executable" in proc.stderr
    assert not (tmp_path / "applications" / "horsepower.desktop").exists()
