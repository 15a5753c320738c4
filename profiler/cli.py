"""``horsepower`` command line: the same engine as the window, headless.

Exit codes: 0 success, 1 the run failed or ran out of memory, 2 bad input (nothing
written), 130 stopped by Ctrl-C (what was measured is still printed and saved).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from profiler import __version__
from profiler.cli_errors import EXIT_USAGE, UsageError


def build_parser() -> argparse.ArgumentParser:
    from profiler import cli_devices, cli_run

    parser = argparse.ArgumentParser(
        prog="horsepower",
        description="Measure what this machine's hardware is worth to PyTorch. "
        "With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"horsepower {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log engine details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    cli_devices.register(sub)
    cli_run.register(sub)
    try:
        from profiler import cli_history
    except ImportError:  # history commands ship with the history package
        pass
    else:
        cli_history.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"horsepower: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
