"""``horsepower history|export|import``: the runs kept, and how they travel between machines."""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict
from typing import Any

from profiler import units
from profiler.cli.common import UsageError, check_output, open_store, print_json, resolve_run

EXPORT_FORMATS = ("csv", "json", "html")


def register(sub: Any) -> None:
    p = sub.add_parser("history", help="list stored runs, newest first")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.add_argument("--workload", help="only runs of this workload")
    p.add_argument("--device", help="only runs on this device")
    p.add_argument("--status", help="only runs with this status (completed, failed, ...)")
    p.add_argument("--search", help="text to find in name, id, workload or device")
    p.add_argument("--ranks", type=int, help="only runs of this many ranks (world size)")
    p.add_argument("--limit", type=int, default=50, help="at most this many runs (default 50)")
    p.set_defaults(func=cmd_history)

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
    if args.json:
        print_json([asdict(s) for s in runs])
        return 0
    if not runs:
        print("no runs in history yet (`horsepower run` stores every run)")
        return 0
    rows = [("id", "when", "status", "device", "ranks", "samples/s", "MFU", "name")]
    rows += [(s.run_id, time.strftime("%Y-%m-%d %H:%M", time.localtime(s.created_at)), s.status,
              s.device, str(s.world_size), units.num(s.samples_per_s), units.percent(s.mfu), s.name) for s in runs]
    print(units.columns(rows, right=(4, 5, 6)))
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
            print(f"wrote the trace of run {run['run_id']} to {path} (open it in https://ui.perfetto.dev)")
            return 0
    path = export_run(run, args.format, args.file)
    print(f"wrote {args.format.upper()} of run {run['run_id']} to {path}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from profiler.reports.export import ImportRejected, import_run

    with open_store() as store:
        try:
            run_id = import_run(args.file, store)
        except ImportRejected as exc:
            raise UsageError(f"cannot import {args.file}: {exc}") from None
    print(f"imported run {run_id}")
    return 0
