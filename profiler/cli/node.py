"""``horsepower node``: this machine's share of a multi-node run; start it on every node.

(``horsepower worker``, its name before, still works: a worker means the supervised training
process of ``profiler.worker`` everywhere else.)

It checks what it can before anything starts (the flags, the devices, the rendezvous: a port
in use on the node that hosts it, an endpoint the other nodes cannot reach within
``--rdzv-timeout``), then runs torch's elastic agent exactly as ``torchrun`` would, with
``python -m profiler.distributed.rank_entry`` as the training program. The node that gets rank 0
writes the result to ``--out``. See docs/SCALING.md.
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

    p = sub.add_parser("node", aliases=["worker"],
                       help="run this node's ranks of a multi-node run (start it on every node)")
    add_arguments(p)
    p.add_argument("--nnodes", type=numbers.NODES.arg(), required=True, help="machines in the run")
    p.add_argument("--nproc-per-node", type=numbers.THREADS.arg(),
                   help="ranks on this machine (default: one per device; CPU: 1)")
    p.add_argument("--rdzv-endpoint", required=True, metavar="HOST:PORT",
                   help="where the nodes meet: a host every node reaches, and a free port on it")
    p.add_argument("--local-addr", metavar="ADDRESS",
                   help="this node's address that the other nodes reach; the ranks' store listens there "
                        "(default: the rendezvous host for one node, else the host name's address)")
    p.add_argument("--rdzv-id", default="horsepower", help="job id, the same on every node (default horsepower)")
    p.add_argument("--rdzv-timeout", type=numbers.TIMEOUT_S.arg(), default=120.0,
                   help="seconds to wait for the rendezvous and the other nodes (default 120)")
    p.add_argument("--deadline", type=numbers.TIMEOUT_S.arg(),
                   help="seconds the whole run may take before it is stopped")
    p.add_argument("--out", metavar="FILE", default="horsepower-scale.json",
                   help="where the node with rank 0 writes the result (default horsepower-scale.json)")
    p.set_defaults(func=cmd_node)


def _preflight(args: argparse.Namespace, config: Any) -> tuple[int, str | None]:
    """The ranks on this node and its address for the ranks' store; UsageError for anything
    that cannot run."""
    from profiler.distributed.ports import EndpointError, check_port_free, is_local, parse_endpoint, wait_reachable
    from profiler.distributed.sweep import devices_here

    if args.nnodes < 1:
        raise UsageError(f"--nnodes must be at least 1, got {args.nnodes}")
    if not args.rdzv_timeout > 0:
        raise UsageError(f"--rdzv-timeout must be positive, got {args.rdzv_timeout}")
    count, why = devices_here(config.device)
    if count == 0:
        raise UsageError(f"cannot run on {config.device}: {why}")
    nproc = args.nproc_per_node if args.nproc_per_node is not None else count
    if nproc < 1:
        raise UsageError(f"--nproc-per-node must be at least 1, got {nproc}")
    if config.device != "cpu" and nproc > count:
        raise UsageError(f"{nproc} ranks on this node need {nproc} {config.device} devices; it has {count}")
    try:
        host, port = parse_endpoint(args.rdzv_endpoint)
        if is_local(host):
            if args.nnodes == 1:
                check_port_free(host, port)
        else:
            wait_reachable(host, port, args.rdzv_timeout)
    except EndpointError as exc:
        raise UsageError(str(exc)) from None
    local_addr = args.local_addr or (host if args.nnodes == 1 and is_local(host) else None)
    return int(nproc), local_addr


def cmd_node(args: argparse.Namespace) -> int:
    from profiler.distributed.config import DistConfigError, from_args
    from profiler.distributed.launch import LaunchPlan, launch
    from profiler.distributed.sweep import default_deadline_s
    from profiler.results.result import new_run_id

    check_output(args.out)
    try:
        config = from_args(args)
    except DistConfigError as exc:
        raise UsageError(str(exc)) from None
    nproc, local_addr = _preflight(args, config)
    run_id = new_run_id()
    plan = LaunchPlan(rank_argv=[*config.to_argv(), "--run-id", run_id], nproc=nproc,
                      rdzv_endpoint=args.rdzv_endpoint, nnodes=str(args.nnodes), rdzv_id=args.rdzv_id,
                      join_timeout_s=args.rdzv_timeout, local_addr=local_addr,
                      deadline_s=args.deadline or default_deadline_s(config) + args.rdzv_timeout)
    print(f"node: {nproc} rank(s) here of {args.nnodes} node(s), rendezvous {args.rdzv_endpoint}", file=sys.stderr)
    cancel = threading.Event()
    with stop_on_signals(cancel) as stopper:  # SIGINT/SIGTERM/SIGHUP: stop the ranks, then write --out
        outcome = launch(plan, cancel)
    if not outcome.ok:
        print(f"horsepower: error: {outcome.reason}", file=sys.stderr)
        if args.verbose:
            print(outcome.log_tail, file=sys.stderr)
        if outcome.stopped:
            from profiler.distributed.sweep import failed_result

            write_json(args.out, failed_result(config, nproc * args.nnodes, run_id, outcome))
            print(f"node: stopped; wrote {args.out}", file=sys.stderr)
            return stopper.exit_code(EXIT_INTERRUPTED)
        return EXIT_FAILED
    if outcome.result is None:
        print("node: this node's ranks finished; the node with rank 0 wrote the result", file=sys.stderr)
        return EXIT_OK
    write_json(args.out, outcome.result)
    section = outcome.result.get("distributed") or {}
    print(f"node: {section.get('world_size')} ranks on {section.get('nodes')} node(s): "
          f"{units.count(outcome.result.get('samples_per_s'), 1)} samples/s; wrote {args.out} "
          f"(add it to the history with `horsepower import {args.out}`)")
    return EXIT_OK
