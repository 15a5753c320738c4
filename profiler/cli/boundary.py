"""The CLI's one error boundary: every command's failure becomes one clear line and an exit code.

``guarded(func, args)`` runs a command (``args.func``). Bad input (``UsageError``, a refused
output path) exits 2; a history, file system or write failure exits 1 with what went wrong;
Ctrl-C outside a run exits 130; a closed stdout (``| head``) ends quietly. An unexpected error
prints one line and where the traceback went (stderr with ``-v``, else the log).
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
from collections.abc import Callable

from profiler import units
from profiler.cli.common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, UsageError
from profiler.cli.signals import StopSignal
from profiler.outputs import OutputPathError, OutputWriteError

log = logging.getLogger("profiler.cli")

MAX_LINE = 400
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for `cmd | head`


def _line(message: object) -> str:
    lines = str(message).strip().splitlines()
    text = units.plain(lines[0] if lines else type(message).__name__)
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 3] + "..."


def error(message: object, kind: str = "error") -> None:
    """Print ``horsepower: <kind>: <first line of message>`` on stderr (control chars escaped)."""
    try:
        print(f"horsepower: {kind}: {_line(message)}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _os_message(exc: OSError) -> str:
    if type(exc).__str__ is not OSError.__str__:  # our own errors carry a whole sentence
        return str(exc)
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


def guarded(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """``func(args)``'s exit code, or the exit code of the error it raised (printed as one line)."""
    from profiler.history.database import HistoryError

    verbose = bool(getattr(args, "verbose", False))
    try:
        return int(func(args))
    except (UsageError, OutputPathError) as exc:
        details = str(getattr(exc, "details", "") or "")  # a user model's traceback
        hint = "; `horsepower -v ...` prints the traceback" if details and not verbose else ""
        error(f"{_line(exc)}{hint}")
        if details and verbose:
            print(details.rstrip(), file=sys.stderr)
        return EXIT_USAGE
    except OutputWriteError as exc:
        error(exc)
        return EXIT_FAILED
    except HistoryError as exc:
        error(exc)
        return EXIT_FAILED
    except StopSignal as exc:
        error(f"{exc.name} before the run started; nothing was measured", "stopped")
        return exc.exit_code
    except KeyboardInterrupt:
        error("interrupted", "stopped")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except sqlite3.Error as exc:
        log.debug("history database error", exc_info=True)
        error(f"run history database error: {exc}")
        return EXIT_FAILED
    except OSError as exc:
        log.debug("file system error", exc_info=True)
        error(_os_message(exc))
        return EXIT_FAILED
    except MemoryError:
        error("out of host memory")
        return EXIT_FAILED
    except Exception as exc:
        verbose = verbose or log.isEnabledFor(logging.INFO)
        if verbose:
            log.exception("unexpected error in %s", getattr(args, "command", "command"))
        hint = "" if verbose else " (run with -v for the traceback)"
        error(f"unexpected {type(exc).__name__}: {_line(exc)}{hint}", "internal error")
        return EXIT_FAILED


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so interpreter exit does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
