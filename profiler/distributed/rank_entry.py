"""The rank entry point: ``python -m profiler.distributed.rank_entry [flags] --out result.json``.

Start it under any launcher that sets the standard environment, e.g. on each of two machines::

    torchrun --nnodes 2 --nproc-per-node 8 --rdzv-backend c10d --rdzv-endpoint node0:29400 \\
        --rdzv-id gpt-scale -m profiler.distributed.rank_entry --workload gpt --device cuda --out gpt.json

Rank 0 writes one result (``horsepower import gpt.json`` adds it to the history); every
rank exits 0 when the run completed, 1 when it failed (the failing rank writes its reason to
``--status-dir`` when given, and logs it), 2 for bad input before anything started.
See docs/SCALING.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence

from profiler.error_text import first_line

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    from profiler.distributed.config import add_arguments

    p = argparse.ArgumentParser(prog="python -m profiler.distributed.rank_entry",
                                description="One rank of a distributed Horsepower run (start it with torchrun).")
    add_arguments(p)
    p.add_argument("--out", help="rank 0 writes the run's result JSON here (default: print it)")
    p.add_argument("--run-id", help="id of the run (default: a new one)")
    p.add_argument("--status-dir", help="directory where a failing rank writes rank-<N>.json with its reason")
    p.add_argument("-v", "--verbose", action="store_true", help="log engine details to stderr")
    return p


def write_status(directory: str | None, rank: int, error: str) -> None:
    """Record why this rank failed, for the launcher (best effort, complete or absent)."""
    if not directory:
        return
    from profiler.outputs import write_text

    try:
        write_text(os.path.join(directory, f"rank-{rank}.json"), json.dumps(
            {"rank": rank, "host": os.uname().nodename, "pid": os.getpid(), "time": time.time(), "error": error}))
    except OSError:
        logging.getLogger(__name__).exception("cannot write the failure of rank %d", rank)


def main(argv: Sequence[str] | None = None) -> int:
    from profiler.lifeline import die_with_parent

    die_with_parent()  # SIGKILL if the agent dies, so no rank is orphaned (before torch loads)
    args = build_parser().parse_args(argv)
    prefix = "%(asctime)s rank " + os.environ.get("RANK", "?")
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format=prefix + " %(levelname)s %(name)s: %(message)s")
    from profiler.distributed.config import DistConfigError, from_args
    from profiler.distributed.env import RankEnvError, rank_env
    from profiler.distributed.faults import configured_fault
    from profiler.outputs import OutputPathError, check_output_path, write_text
    from profiler.run_inputs import check_not_input

    rank = os.environ.get("RANK", "?")
    try:
        config = from_args(args)
        env = rank_env()
        fault = configured_fault()
        check_output_path(args.out)
        check_not_input(args.out)
        from profiler.distributed.rank import check_rank_device

        info = check_rank_device(config, env)
    except (DistConfigError, RankEnvError, OutputPathError, ValueError) as exc:
        print(f"horsepower rank {rank}: error: {exc}", file=sys.stderr)
        write_status(args.status_dir, int(rank) if rank.isdigit() else -1, f"bad input: {exc}")
        return EXIT_USAGE
    from profiler.distributed.rank import run_rank

    try:
        result = run_rank(config, env, fault, args.run_id, info)
    except Exception as exc:
        logging.getLogger(__name__).exception("rank %d failed", env.rank)
        write_status(args.status_dir, env.rank, first_line(exc))
        return EXIT_FAILED
    if result is not None:
        write_text(args.out or "-", json.dumps(result, indent=1, allow_nan=False))
    return EXIT_OK


def exit_now(code: int) -> None:
    """Flush and leave without interpreter teardown: at exit, gloo's and the TCP store's native
    threads can be destroyed while still joinable, and the C++ runtime then aborts the rank
    (SIGABRT, "terminate called without an active exception") after it finished its work."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
