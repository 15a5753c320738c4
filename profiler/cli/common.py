"""What every command shares: exit codes, the usage error, output paths, the history store."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from profiler import units
from profiler.outputs import OutputPathError, check_output_path, write_text

if TYPE_CHECKING:
    from profiler.history import HistoryStore

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class OneLineParser(argparse.ArgumentParser):
    """argparse whose bad input is one line (``horsepower run: error: ...``) and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {units.plain(message)}\n")


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit code 2, nothing written.

    ``details`` (a traceback from the user's own model code) is printed after that line only
    with ``--verbose``; without it the line says how to see them.
    """

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


def usage_error(exc: BaseException) -> UsageError:
    """A ``UsageError`` carrying a ``SpecError``'s message and details."""
    return UsageError(str(exc), str(getattr(exc, "details", "") or ""))


def check_output(path: str | None, model: str = "") -> None:
    """UsageError unless ``path`` can be written and is none of the command's inputs
    (Horsepower's own files, the user's ``model`` and its modules): checked before any work."""
    from profiler.run_inputs import check_not_input

    try:
        check_output_path(path)
        check_not_input(path, model)
    except OutputPathError as exc:
        raise UsageError(str(exc)) from None


def one_data_channel(json_to_stdout: bool, html: str | None) -> None:
    """UsageError when two outputs would share stdout (``--json`` and ``--html -``)."""
    if json_to_stdout and html == "-":
        raise UsageError("--json and --html - would both print to stdout; write the HTML to a file")


def write_json(path: str, data: Any) -> None:
    """``data`` as indented JSON to ``path`` (``-``: stdout, nothing else printed there)."""
    write_text(path, json.dumps(data, indent=2, allow_nan=False, default=str))


def print_json(data: Any) -> None:
    write_json("-", data)


def open_store() -> HistoryStore:
    """The user's history store; its notices (a damaged file moved aside) go to stderr."""
    from profiler.history import HistoryStore

    store = HistoryStore.open()
    for notice in store.notices:
        print(f"horsepower: notice: {units.plain(notice)}", file=sys.stderr)
    return store


def match_ref(ref: str, ids: Sequence[str], what: str) -> str:
    """The one id ``ref`` names (exactly or as a unique prefix); UsageError otherwise."""
    matches = [ref] if ref in ids else [i for i in ids if i.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise UsageError(f"{what} {ref!r} is ambiguous: {', '.join(matches[:5])}")
    recent = ", ".join(ids[:5]) or "none yet"
    raise UsageError(f"no {what} {ref!r}; recent: {recent} (see `horsepower history`)")


def resolve_run(store: HistoryStore, ref: str) -> dict[str, Any]:
    """The stored run ``ref`` names (exact id or unique prefix); UsageError otherwise."""
    run_id = match_ref(ref, store.run_ids(), "run")
    run = store.get(run_id)
    if run is None and run_id in store.damaged:
        raise UsageError(f"run {run_id!r} in history is damaged ({store.damaged[run_id]}); "
                         f"`horsepower history delete {run_id}` removes it")
    if run is None:
        raise UsageError(f"run {run_id!r} vanished from history while reading it")
    return run


def resolve_runs(refs: Sequence[str]) -> list[dict[str, Any]]:
    """The stored runs ``refs`` name, in order (store opened and closed here)."""
    with open_store() as store:
        return [resolve_run(store, ref) for ref in refs]
