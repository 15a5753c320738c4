"""Time a too-large model's refusal and its peak memory, children included.

Runs each command, polls the resident set size (RSS) of the whole process tree every 20 ms
(psutil: the sum over the process and all its descendants at each poll; the peak of that
sum is reported) and kills the tree if that sum passes ``--kill-at`` GiB, so a mistake that
allocates a model for real cannot take a shared machine down. Prints exit code, wall time,
peak tree RSS and the command's stderr.

    python bench/fit_refusal.py                                  # the two cases of issue 21
    python bench/fit_refusal.py -- horsepower run --model hf:llama --steps 3 --no-history
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time

import psutil

GIB = 2**30
HORSEPOWER = shutil.which("horsepower", path=os.path.dirname(sys.executable)) or "horsepower"
CASES = [
    ["nice", "-n", "5", HORSEPOWER, "run", "--model", "hf:llama", "--steps", "3", "--no-history"],
    ["nice", "-n", "5", "prlimit", "--as=8000000000", HORSEPOWER, "run", "--model", "hf:llama", "--knob",
     "num_hidden_layers=9", "--knob", "hidden_size=4096", "--knob", "intermediate_size=11008", "--steps", "3",
     "--no-history"],
]


def tree_rss(proc: psutil.Process) -> int:
    """Bytes resident in ``proc`` and all its descendants now (0 for a process already gone)."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(command: list[str], kill_at_bytes: int) -> tuple[int, float, int, str]:
    """(exit code, wall s, peak tree RSS bytes, stderr) of ``command``; killed past ``kill_at_bytes``."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc = psutil.Process(child.pid)
    peak = 0
    try:
        while child.poll() is None:
            peak = max(peak, tree_rss(proc))
            if peak > kill_at_bytes:
                for p in [*proc.children(recursive=True), proc]:
                    try:
                        p.kill()
                    except psutil.Error:
                        pass
                break
            time.sleep(0.02)
        _out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return int(child.returncode), time.perf_counter() - start, peak, err


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kill-at", type=float, default=4.0, help="kill the tree past this many GiB (default 4)")
    parser.add_argument("command", nargs="*", help="a command to measure instead of the two default cases")
    args = parser.parse_args()
    for command in [args.command] if args.command else CASES:
        code, wall_s, peak, err = measure(command, int(args.kill_at * GIB))
        print(f"$ {' '.join(command)}")
        print(err.rstrip())
        print(f"exit {code}; {wall_s:.1f} s wall; peak RSS of the process tree {peak / GIB:.2f} GiB\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
