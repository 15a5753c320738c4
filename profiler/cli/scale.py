"""``horsepower scale``: the same workload at several world sizes, and where the time goes.

``horsepower node``: this node's share of a multi-node run, started on every machine.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from profiler import numbers, units
from profiler.cli.common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, UsageError, check_output, write_json
from profiler.cli.signals import stop_on_signals


def register(sub: Any) -> None:
    from profiler.distributed.config import add_arguments

    p = sub.add_parser("scale", help="train one workload on 1, 2, 4 ... ranks (torch.distributed) and show "
                                     "scaling efficiency and where each rank's time goes")
    add_arguments(p)
    p.add_argument("--nproc", default="1,2", help="world sizes to run, comma-separated (default 1,2)")
    p.add_argument("--port", type=numbers.PORT.arg(),
                   help="rendezvous port on 127.0.0.1 (default: a free one per world size)")
    p.add_argument("--deadline", type=numbers.TIMEOUT_S.arg(),
                   help="seconds one world size may take before it is stopped")
    p.add_argument("--json", metavar="FILE", help="write the points and their results as JSON ('-' for stdout)")
    p.add_argument("--no-history", action="store_true", help="do not store the runs in the history")
    p.set_defaults(func=cmd_scale)


def _config(args: argparse.Namespace) -> Any:
    from profiler.distributed.config import DistConfigError, from_args

    try:
        return from_args(args)
    except DistConfigError as exc:
        raise UsageError(str(exc)) from None


def cmd_scale(args: argparse.Namespace) -> int:
    from profiler.distributed.config import DistConfigError
    from profiler.distributed.ports import EndpointError
    from profiler.distributed.sweep import check_sweep, parse_nprocs, run_scale

    check_output(args.json)
    config = _config(args)
    if args.deadline is not None and not args.deadline > 0:
        raise UsageError(f"--deadline must be a positive number of seconds, got {args.deadline}")
    if args.port is not None and not 0 < args.port < 65536:
        raise UsageError(f"--port must be 1-65535, got {args.port}")
    try:
        nprocs = parse_nprocs(args.nproc)
        check_sweep(config, nprocs, args.port)
    except (DistConfigError, EndpointError) as exc:
        raise UsageError(str(exc)) from None
    print(_heading(config, nprocs), file=sys.stderr)
    cancel = threading.Event()
    with stop_on_signals(cancel) as stopper:  # Ctrl-C, SIGTERM, SIGHUP: stop this world size, skip the rest
        points = run_scale(config, nprocs, args.port, args.deadline, cancel,
                           on_point=lambda p: print(_point_line(p), file=sys.stderr))
    results = [p.result for p in points]
    out = sys.stderr if args.json == "-" else sys.stdout
    print(render_scale(results), file=out)
    if not args.no_history:
        _store(results)
    if args.json:
        from profiler.metrics.scaling import scaling_points

        write_json(args.json, {"points": [p.to_dict() for p in scaling_points(results)], "runs": results})
    if cancel.is_set():
        return stopper.exit_code(EXIT_INTERRUPTED)
    return EXIT_OK if all(p.ok for p in points) and len(points) == len(nprocs) else EXIT_FAILED


def _heading(config: Any, nprocs: list[int]) -> str:
    from profiler.distributed.env import backend_for

    threads = config.rank_threads()
    per = f", {threads} thread(s) per rank" if threads else ""
    batch = f"global batch {config.batch_size}" if config.mode == "strong" and config.batch_size else (
        f"batch {config.batch_size} per rank" if config.batch_size else "the preset batch")
    return (f"scale: {config.workload}-{config.size} {config.precision} on {config.device}, {config.mode} scaling "
            f"({batch}), {config.strategy} over {backend_for(config.device)}{per}; world sizes "
            f"{', '.join(map(str, nprocs))}")


def _point_line(point: Any) -> str:
    if point.ok:
        return f"  {point.world_size} rank(s): {units.count(point.result.get('samples_per_s'), 1)} samples/s"
    return f"  {point.world_size} rank(s): {point.result.get('status')}: {point.result.get('error')}"


def render_scale(results: list[dict[str, Any]]) -> str:
    """The sweep table, the per-rank split and every warning, from result dicts only."""
    from profiler.metrics.scaling import scaling_points

    rows = [("ranks", "nodes", "status", "samples/s", "per rank", "efficiency", "comm", "straggler",
             "all-reduce busbw")]
    for p in scaling_points(results):
        rows.append((str(p.world_size), str(p.nodes), p.status, units.count(p.samples_per_s, 1),
                     units.count(p.per_rank_samples_per_s, 1), units.percent(p.efficiency),
                     units.percent(p.comm_fraction), units.ratio(p.straggler_ratio),
                     units.si(p.busbw_bytes_per_s, "B/s")))
    lines = ["", units.columns(rows, right=(0, 1, 3, 4, 5, 6, 7, 8))]
    lines.append("\nefficiency = samples/s over (ranks x the smallest world size's samples/s per rank); "
                 "comm = median share of a step spent in exposed gradient communication")
    for run in results:
        lines += _rank_lines(run)
    return "\n".join(lines)


def _rank_lines(run: dict[str, Any]) -> list[str]:
    section = run.get("distributed") or {}
    n = section.get("world_size", 1)
    lines = [f"\n{n} rank(s), run {run.get('run_id')}:"]
    for row in section.get("ranks") or []:
        split = row.get("split")
        if not split:
            continue
        lines.append(f"  rank {row['rank']} ({row['device']} on {row['host']}): step {units.seconds(split['step_s'])}"
                     f" = input {units.seconds(split['input_s'])} + compute {units.seconds(split['compute_s'])}"
                     f" + comm {units.seconds(split['comm_s'])}")
    probe = section.get("allreduce") or {}
    if probe.get("time_s"):
        lines.append(f"  all-reduce {units.nbytes(probe['nbytes'])}: {units.seconds(probe['time_s'])}, "
                     f"algbw {units.si(probe['algbw_bytes_per_s'], 'B/s')}, "
                     f"busbw {units.si(probe['busbw_bytes_per_s'], 'B/s')}")
    elif probe.get("reason"):
        lines.append(f"  all-reduce: n/a ({probe['reason']})")
    if run.get("energy_j") is not None:
        lines.append(f"  energy {units.energy(run['energy_j'])} (once per node)")
    lines += [f"  warning: {w}" for w in run.get("warnings") or []]
    lines += [f"  note: {m}" for m in run.get("notices") or []]
    if run.get("error"):
        lines.append(f"  error: {run['error']}")
    return lines


def _store(results: list[dict[str, Any]]) -> None:
    from profiler.cli.common import open_store
    from profiler.history.database import HistoryError

    with open_store() as store:
        for result in results:  # rank 0 wrote each with RunResult.to_dict: stored as it is
            try:
                store.store_result(result)
            except HistoryError as exc:
                print(f"horsepower: warning: {exc}", file=sys.stderr)
