"""``horsepower compare``: stored runs head to head, with honest speedups."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from profiler.cli.common import UsageError, check_output, match_ref, one_data_channel, print_json, resolve_runs
from profiler.outputs import write_text


def register(sub: Any) -> None:
    p = sub.add_parser("compare", help="compare stored runs head to head")
    p.add_argument("runs", nargs="+", metavar="RUN", help="two or more run ids")
    p.add_argument("--baseline", help="run the speedup is relative to (default: first CPU run)")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.add_argument("--html", metavar="FILE", help="also write a one-page HTML report")
    p.set_defaults(func=cmd_compare)


def load_prices_or_exit() -> Any:
    from profiler.analysis.prices import PricesError, load_prices

    notices: list[str] = []
    try:
        book = load_prices(notices=notices)
    except PricesError as exc:
        raise UsageError(str(exc)) from None
    for notice in notices:
        print(f"horsepower: notice: {notice}", file=sys.stderr)
    return book


def cmd_compare(args: argparse.Namespace) -> int:
    from profiler.analysis.compare import compare, render_table

    check_output(args.html)
    one_data_channel(args.json, args.html)
    prices = load_prices_or_exit()
    runs = resolve_runs(args.runs)
    ids = [str(r["run_id"]) for r in runs]
    baseline = match_ref(args.baseline, ids, "compared run") if args.baseline else None
    comparison = compare(runs, baseline, prices)
    if args.json:
        print_json(comparison.to_dict())
    else:  # with --html -, stdout is the HTML's: the table goes to stderr
        print(render_table(comparison), file=sys.stderr if args.html == "-" else sys.stdout)
    if args.html:
        from profiler.reports.html import comparison_report

        write_text(args.html, comparison_report(runs, baseline, prices))
        print(f"wrote report to {args.html}", file=sys.stderr)
    return 0
