"""``horsepower history|export|import``: the runs kept, and how they travel between machines."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import Any

from profiler import numbers, units
from profiler.cli.common import UsageError, check_output, match_ref, open_store, print_json, resolve_run

EXPORT_FORMATS = ("csv", "json", "html")


def register(sub: Any) -> None:
    p = sub.add_parser("history", help="list stored runs, newest first")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.add_argument("--workload", help="only runs of this workload")
    p.add_argument("--device", help="only runs on this device")
    p.add_argument("--status", help="only runs with this status (completed, failed, ...)")
    p.add_argument("--search", help="text to find in name, id, workload or device")
    p.add_argument("--ranks", type=numbers.NODES.arg(), help="only runs of this many ranks (world size)")
    p.add_argument("--limit", type=numbers.COUNT.arg(), default=50, help="at most this many runs (default 50)")
    p.set_defaults(func=cmd_history)
    actions = p.add_subparsers(dest="history_action", metavar="ACTION")
    delete = actions.add_parser("delete", help="remove stored runs and their time series from history")
    delete.add_argument("runs", nargs="+", metavar="RUN", help="run ids (or unique prefixes)")
    delete.set_defaults(func=cmd_history_delete)

    p = sub.add_parser("export", help="write a stored run as CSV, JSON or a one-page HTML report, "
                                      "or its torch.profiler trace")
    p.add_argument("run", help="run id (or a unique prefix)")
    group = p.add_mutually_exclusive_group(required=True)
    for name in EXPORT_FORMATS:
        group.add_argument(f"--{name}", dest="format", action="store_const", const=name)
    group.add_argument("--trace", dest="format", action="store_const", const="trace",
                       help="the run's trace (from `run --trace`) as Chrome/Perfetto JSON; .gz compresses")
    p.add_argument("file", help="file to write")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="add a run file (exported JSON) to the history")
    p.add_argument("file")
    p.set_defaults(func=cmd_import)


def cmd_history(args: argparse.Namespace) -> int:
    with open_store() as store:
        runs = store.list_runs(workload=args.workload, device=args.device, status=args.status,
                               text=args.search, limit=args.limit, world_size=args.ranks)
        damaged = dict(store.damaged)
    if args.json:
        print_json([asdict(s) for s in runs])
        return 0
    if not runs:
        print("no runs in history yet (`horsepower run` stores every run)")
        return 0
    from profiler.metrics.contention import BUSY_TAG

    rows = [("id", "when", "status", "device", "ranks", "samples/s", "MFU", "name")]
    rows += [(s.run_id, _when(s.created_at), " · ".join([s.status, *([BUSY_TAG] if s.busy else [])])
              + ("*" if s.incomplete else ""),
              s.device, str(s.world_size), units.num(s.samples_per_s), units.share(s.mfu), s.name) for s in runs]
    print(units.columns(rows, right=(4, 5, 6)))
    if any(s.incomplete for s in runs):
        print("* incomplete: history holds fewer steps than the run measured")
    if damaged:
        ids = ", ".join(units.plain(i) for i in list(damaged)[:5])
        print(f"horsepower: notice: {len(damaged)} run(s) hold damaged values, shown as 0 or n/a: {ids} "
              "(`horsepower history delete RUN` removes one)", file=sys.stderr)
    return 0


def _when(created_at: float) -> str:
    """The run's start, as every view shows it (``units.started_text``)."""
    return units.started_text(created_at)


def cmd_history_delete(args: argparse.Namespace) -> int:
    """Delete every named run, or none: an unknown or ambiguous id exits 2 before anything goes."""
    with open_store() as store:
        summaries = {s.run_id: s for s in store.list_runs()}
        ids = list(summaries)
        chosen = list(dict.fromkeys(match_ref(ref, ids, "run") for ref in args.runs))
        for run_id in chosen:  # a run still being recorded is refused, and then nothing goes
            owner = store.live_owner(run_id)
            if owner is not None:
                where = f"process {owner}" if owner else "another machine"
                raise UsageError(f"run {run_id} is still running ({where} records it); stop it first, "
                                 "then delete it (nothing was deleted)")
        for run_id in chosen:
            store.delete(run_id)
            s = summaries[run_id]
            print(f"deleted run {units.plain(run_id)} ({units.plain(s.name)}, {units.plain(s.status)}, "
                  f"{_when(s.created_at)})")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from profiler.reports.export import NoTrace, export_run, export_trace

    check_output(args.file)
    with open_store() as store:
        run = resolve_run(store, args.run)
        if args.format == "trace":
            try:
                path = export_trace(run, store, args.file)
            except NoTrace as exc:
                raise UsageError(str(exc)) from None
            print(f"wrote the trace of run {units.plain(run['run_id'])} to {units.plain(path)} "
                  "(open it in https://ui.perfetto.dev)", file=sys.stderr)
            return 0
    path = export_run(run, args.format, args.file)
    print(f"wrote {args.format.upper()} of run {units.plain(run['run_id'])} to {units.plain(path)}",
          file=sys.stderr)  # status: stdout may be the data (``--json -``)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from profiler.reports.export import ImportRejected, import_run

    with open_store() as store:
        try:
            run_id = import_run(args.file, store)
        except ImportRejected as exc:
            raise UsageError(f"cannot import {args.file}: {exc}") from None
    print(f"imported run {units.plain(run_id)}")
    return 0
