"""``horsepower history|export|import|compare|sweep|value``: runs kept, shared, compared.

Each command is a function taking the parsed args and returning an exit code; bad input
raises ``profiler.cli.UsageError`` (one line naming the valid choices, exit 2, nothing
written). ``register(subparsers)`` adds them all.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from profiler.analysis import fmt
from profiler.history import HistoryStore
from profiler.history.store import RunSummary

EXPORT_FORMATS = ("csv", "json", "html")


def usage_error(message: str) -> Exception:
    from profiler.cli_errors import UsageError

    return UsageError(message)


def register(sub: Any) -> None:
    """Add the history and analysis commands to the ``horsepower`` subparsers."""
    p = sub.add_parser("history", help="list stored runs, newest first")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.add_argument("--workload", help="only runs of this workload")
    p.add_argument("--device", help="only runs on this device")
    p.add_argument("--status", help="only runs with this status (completed, failed, ...)")
    p.add_argument("--search", help="text to find in name, id, workload or device")
    p.add_argument("--limit", type=int, default=50, help="at most this many runs (default 50)")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("export", help="write a stored run as CSV, JSON or a one-page HTML report")
    p.add_argument("run", help="run id (or a unique prefix)")
    group = p.add_mutually_exclusive_group(required=True)
    for name in EXPORT_FORMATS:
        group.add_argument(f"--{name}", dest="format", action="store_const", const=name)
    p.add_argument("file", help="file to write")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="add a run file (exported JSON) to the history")
    p.add_argument("file")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("compare", help="compare stored runs head to head")
    p.add_argument("runs", nargs="+", metavar="RUN", help="two or more run ids")
    p.add_argument("--baseline", help="run the speedup is relative to (default: first CPU run)")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.add_argument("--html", metavar="FILE", help="also write a one-page HTML report")
    p.set_defaults(func=cmd_compare)

    from profiler import cli_analysis

    cli_analysis.register(sub)


def open_store() -> HistoryStore:
    store = HistoryStore.open()
    for notice in store.notices:
        print(f"horsepower: notice: {notice}", file=sys.stderr)
    return store


def resolve_run(store: HistoryStore, ref: str) -> dict[str, Any]:
    """The stored run ``ref`` names (exact id or unique prefix); UsageError otherwise."""
    ids = store.run_ids()
    matches = [ref] if ref in ids else [i for i in ids if i.startswith(ref)]
    if len(matches) == 1:
        run = store.get(matches[0])
        if run is not None:
            return run
    recent = ", ".join(ids[:5]) or "none yet"
    if len(matches) > 1:
        raise usage_error(f"run {ref!r} is ambiguous: {', '.join(matches[:5])}")
    raise usage_error(f"no run {ref!r} in history; recent runs: {recent} (see `horsepower history`)")


def check_writable(path: str) -> None:
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise usage_error(f"cannot write {path}: directory {parent} does not exist")
    if os.path.isdir(path):
        raise usage_error(f"cannot write {path}: it is a directory")


def _summary_dict(s: RunSummary) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(s)


def cmd_history(args: argparse.Namespace) -> int:
    with open_store() as store:
        runs = store.list_runs(workload=args.workload, device=args.device, status=args.status,
                               text=args.search, limit=args.limit)
    if args.json:
        print(json.dumps([_summary_dict(s) for s in runs], indent=2))
        return 0
    if not runs:
        print("no runs in history yet (`horsepower run` stores every run)")
        return 0
    rows = [("id", "when", "status", "device", "samples/s", "MFU", "name")]
    rows += [(s.run_id, time.strftime("%Y-%m-%d %H:%M", time.localtime(s.created_at)), s.status,
              s.device, fmt.num(s.samples_per_s), fmt.pct(s.mfu), s.name) for s in runs]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1])
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from profiler.reports.export import export_run

    check_writable(args.file)
    with open_store() as store:
        run = resolve_run(store, args.run)
    path = export_run(run, args.format, args.file)
    print(f"wrote {args.format.upper()} of run {run['run_id']} to {path}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from profiler.reports.export import ImportRejected, import_run

    with open_store() as store:
        try:
            run_id = import_run(args.file, store)
        except ImportRejected as exc:
            raise usage_error(f"cannot import {args.file}: {exc}") from None
    print(f"imported run {run_id}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from profiler.analysis.compare import compare, render_table
    from profiler.analysis.prices import PricesError, load_prices

    if args.html:
        check_writable(args.html)
    with open_store() as store:
        runs = [resolve_run(store, ref) for ref in args.runs]
    baseline = resolve_ref_among(runs, args.baseline) if args.baseline else None
    try:
        prices = load_prices()
    except PricesError as exc:
        raise usage_error(str(exc)) from None
    comparison = compare(runs, baseline, prices)
    if args.json:
        print(json.dumps(comparison.to_dict(), indent=2))
    else:
        print(render_table(comparison))
    if args.html:
        from profiler.reports.html import comparison_report

        with open(args.html, "w", encoding="utf-8") as fh:
            fh.write(comparison_report(runs, baseline, prices))
        print(f"wrote report to {args.html}", file=sys.stderr)
    return 0


def resolve_ref_among(runs: list[dict[str, Any]], ref: str) -> str:
    ids = [str(r["run_id"]) for r in runs]
    matches = [ref] if ref in ids else [i for i in ids if i.startswith(ref)]
    if len(matches) != 1:
        raise usage_error(f"--baseline {ref!r} must be one of the compared runs: {', '.join(ids)}")
    return matches[0]
