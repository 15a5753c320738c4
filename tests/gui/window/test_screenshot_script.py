"""docs/make_screenshots.py drives the real window by attribute: every path it reaches into the
window must exist, or the docs' pictures can no longer be retaken (a renamed control broke it once)."""

from __future__ import annotations

import ast

from gui.viewmodel.preferences import Preferences
from tests.gui.window.window_kit import open_window
from tests.paths import REPO_ROOT

SCRIPT = REPO_ROOT / "docs" / "make_screenshots.py"


def _chains() -> set[tuple[str, ...]]:
    """Every attribute path the script takes from the window (``d.win.a.b``) or its run
    controls (``controls.a``), its last name included."""
    chains: set[tuple[str, ...]] = set()
    for node in ast.walk(ast.parse(SCRIPT.read_text())):
        if not isinstance(node, ast.Attribute):
            continue
        names: list[str] = []
        inner: ast.expr = node
        while isinstance(inner, ast.Attribute):
            names.insert(0, inner.attr)
            inner = inner.value
        if isinstance(inner, ast.Name) and inner.id == "d" and names[:1] == ["win"] and len(names) > 1:
            chains.add(tuple(names[1:]))
        elif isinstance(inner, ast.Name) and inner.id == "controls":
            chains.add(("controls", *names))
    return chains


def test_the_screenshot_script_reaches_only_what_the_window_has(qtbot, tmp_path) -> None:
    chains = _chains()
    assert ("controls", "workload") in chains and len(chains) > 10  # the parse found the paths
    with open_window(qtbot, preferences=Preferences(tmp_path / "w.json")) as win:
        missing = []
        for chain in sorted(chains):
            target: object = win
            for depth, name in enumerate(chain):
                if not hasattr(target, name):
                    missing.append(".".join(chain[:depth + 1]))
                    break
                target = getattr(target, name)
    assert not missing, f"docs/make_screenshots.py reaches for what the window lacks: {missing}"
