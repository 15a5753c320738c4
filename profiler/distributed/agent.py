"""The elastic agent, in its own process: ``python -m profiler.distributed.agent PLAN.json``.

It parses torchrun's own flags with ``torch.distributed.run.parse_args`` and runs the same
code torchrun runs (``config_from_args`` then ``elastic_launch``), so the ranks are started,
watched and stopped by torch's elastic agent exactly as under ``torchrun`` (with the
``horsepower-c10d`` rendezvous, torch's c10d one bound to the given addresses: ``bound_store``);
what it adds is
an outcome file a program can read: every failed rank with its exit code, signal and message,
or the error that stopped the rendezvous. PLAN.json holds ``{"torchrun_argv": [...],
"outcome": "path"}``. Exit code 0 when every rank succeeded, 1 otherwise.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any


def _failures(exc: Any) -> list[dict[str, Any]]:
    rows = []
    for rank, failure in sorted(exc.failures.items()):
        rows.append({
            "rank": int(rank), "local_rank": int(failure.local_rank), "pid": int(failure.pid),
            "exitcode": int(failure.exitcode),
            "signal": failure.signal_name() if failure.exitcode < 0 else None,
            "message": str(failure.message)[:2000], "timestamp": failure.timestamp,
        })
    return rows


def run_plan(plan: dict[str, Any]) -> dict[str, Any]:
    """Launch the ranks of ``plan``; the outcome dict (never raises for a failed launch)."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import elastic_launch
    from torch.distributed.run import config_from_args, parse_args

    args = parse_args(list(plan["torchrun_argv"]))
    config, cmd, cmd_args = config_from_args(args)
    try:
        elastic_launch(config=config, entrypoint=cmd)(*cmd_args)
    except ChildFailedError as exc:
        return {"ok": False, "failures": _failures(exc), "error": ""}
    except Exception as exc:  # rendezvous timeout or refusal, a port in use, a bad config
        text = str(exc).strip().splitlines()
        return {"ok": False, "failures": [], "error": f"{type(exc).__name__}: {text[0][:500] if text else ''}"}
    return {"ok": True, "failures": [], "error": ""}


def main(argv: list[str] | None = None) -> int:
    from profiler.distributed.bound_store import register
    from profiler.lifeline import adopt_as_parent, die_with_parent

    die_with_parent()  # the launcher's death (even SIGKILL) ends the agent, and so its ranks
    adopt_as_parent()  # the ranks die with this agent
    register()
    args = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s agent %(levelname)s %(name)s: %(message)s")
    with open(args[0], encoding="utf-8") as fh:
        plan = json.load(fh)
    outcome = run_plan(plan)
    from profiler.outputs import write_text

    write_text(plan["outcome"], json.dumps(outcome))
    return 0 if outcome["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
