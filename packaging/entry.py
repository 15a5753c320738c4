"""Entry point of the frozen (PyInstaller) Horsepower app.

``multiprocessing.freeze_support()`` runs before anything else: the engine's worker runs in a
spawned child, and a spawned child re-enters this same executable with
``--multiprocessing-fork ...`` (or ``-c "from multiprocessing.resource_tracker import main..."``
for the resource tracker). PyInstaller's multiprocessing runtime hook makes freeze_support
recognise those on every OS, run the child and exit, so a child never reaches the GUI.

A frozen executable is no Python interpreter, so ``-m module [args]`` is routed here too: a
helper that starts ``sys.executable -m profiler.something`` works the same frozen and unfrozen.
Everything else goes to ``gui.launcher.main`` (window, CLI or ``--self-test``).
"""

import multiprocessing

multiprocessing.freeze_support()

import runpy  # noqa: E402
import sys  # noqa: E402


def _run_module(argv: list[str]) -> int:
    """Behave like ``python -m MODULE ARGS`` for a child started through sys.executable."""
    if len(argv) < 2:
        print("usage: horsepower -m MODULE [ARGS...]", file=sys.stderr)
        return 2
    sys.argv = [argv[1], *argv[2:]]
    try:
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["-m"]:
        return _run_module(args)
    from gui.app.launcher import main as launcher_main

    return launcher_main()


if __name__ == "__main__":
    sys.exit(main())
