"""Fault bench for issue 25: every numbered fault and security hole, each as a short scenario
(seconds, tiny steps) in its own sandbox (temporary HOME, XDG_*, HORSEPOWER_* dirs and TMPDIR),
with everything it starts killed in a ``finally``.

Per scenario: exit code (and the one expected), timed steps measured (the JSON) and stored
(history), processes left 5 s after the command ended, listeners beyond loopback, files
overwritten (inputs changed, or a typing.py that ran, or temporary files left). The counts must
be zero, and measured equal stored, wherever that is what the scenario checks; ``ok`` says so.
The issue-15 faults (disk full, a locked database, SIGTERM and a killed worker during a run)
are ``bench/faults_history.py``.

    python bench/faults.py                         # every scenario (a few minutes)
    python bench/faults.py --only 1 8-window-sigterm --json faults.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from fault_kit import Row, Sandbox
from fault_scenarios import SCENARIOS

COLUMNS = (("scenario", 22), ("item", 4), ("exit", 4), ("expect", 6), ("measured", 8), ("stored", 6),
           ("procs left", 10), ("listeners", 9), ("overwritten", 11), ("ok", 3))


def run_one(name: str, base: Path) -> Row:
    sandbox = Sandbox(base, name)
    started = time.monotonic()
    try:
        row = SCENARIOS[name](sandbox)
    except Exception as exc:  # a scenario that breaks is a row saying so, not the end of the bench
        row = Row(name, name.split("-")[0], note=f"scenario failed: {type(exc).__name__}: {exc}"[:200])
    finally:
        sandbox.close()
    row.scenario = name
    row.note = f"{row.note} ({time.monotonic() - started:.0f} s)".strip()
    return row


def table(rows: list[Row]) -> str:
    def cell(value: object) -> str:
        return "-" if value is None else ("yes" if value is True else "NO" if value is False else str(value))

    lines = ["  ".join(f"{title:<{width}}" for title, width in COLUMNS)]
    lines.append("-" * len(lines[0]))
    for r in rows:
        values = (r.scenario, r.item, r.exit_code, r.expected_exit, r.measured, r.stored, r.processes_left,
                  r.listeners_beyond_loopback, r.files_overwritten, r.ok)
        lines.append("  ".join(f"{cell(v):<{w}}" for v, (_, w) in zip(values, COLUMNS, strict=True)))
        if r.note:
            lines.append(f"{'':<22}  {r.note}")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", metavar="NAME",
                   help="scenarios whose name starts with one of these (1, 8-window, 14-bad-numbers ...)")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON ('-': stdout, the table to stderr)")
    p.add_argument("--keep", action="store_true", help="keep the sandboxes (their stderr files) for a look")
    args = p.parse_args()
    names = [n for n in SCENARIOS if not args.only or any(n.startswith(o) for o in args.only)]
    base = Path(tempfile.mkdtemp(prefix="horsepower-faults-"))
    rows = []
    try:
        for name in names:
            print(f"running {name} ...", file=sys.stderr, flush=True)
            rows.append(run_one(name, base))
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(table(rows), file=sys.stderr if args.json == "-" else sys.stdout)
    if args.json:
        text = json.dumps([r.to_dict() for r in rows], indent=1)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    failed = [r.scenario for r in rows if not r.ok]
    print("every scenario held" if not failed else f"NOT HELD: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
