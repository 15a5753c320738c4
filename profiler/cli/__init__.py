"""``horsepower`` command line: the same engine as the window, headless.

One module per command family; each has ``register(subparsers)``. Every command runs inside
one error boundary (``boundary.guarded``). Exit codes (see ``common``): 0 success, 1 the run
failed or ran out of memory, or history/an output could not be written (one line says what,
and where the data was kept), 2 bad input (nothing written), 130/143/129 stopped by Ctrl-C,
SIGTERM or SIGHUP (what was measured is still printed and saved).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from profiler import __version__
from profiler.cli import advise, compare, devices, history, node, run, scale, sweep, value
from profiler.cli.boundary import guarded
from profiler.cli.common import EXIT_USAGE, OneLineParser

COMMAND_MODULES = (devices, run, history, compare, sweep, value, advise, scale, node)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="horsepower",
        description="Measure what this machine's hardware is worth to PyTorch. "
        "With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"horsepower {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log engine details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or bad input already said in one line
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    return guarded(args.func, args)


if __name__ == "__main__":
    sys.exit(main())
