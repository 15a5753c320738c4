"""The ``horsepower`` entry point: the window, the self-test, or the headless CLI.

- ``horsepower`` (no arguments) or ``horsepower gui [options]``: the window.
- ``horsepower --self-test``: checks the whole stack and prints a JSON summary.
- anything else: the headless CLI in ``profiler.cli``.

Nothing here imports Qt or torch at module level, so headless commands start fast and
work on machines without display libraries.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] == "gui":
        from gui.app.window_command import run_app

        return run_app(args[1:] if args else [])
    if args[0] == "--self-test":
        from gui.app.selftest import main as self_test

        return self_test(args[1:])
    from profiler.cli import main as cli_main

    return cli_main(args)


def main_gui() -> int:
    """Entry for the windowed launcher (``horsepower-gui``): always the window."""
    from gui.app.window_command import run_app

    return run_app(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
