"""Fault injection: real ``horsepower run`` processes under the faults a user meets, and what
each measured, what history stored, and whether the loss (if any) was said.

Scenarios (each one CLI run through subprocess, ``--duration`` seconds, JSON to a file outside
the data dir):

- ``baseline``: no fault, for reference.
- ``disk-full``: the data dir is a small tmpfs, filled 2 s into the timed window and kept full
  (needs root and mount(8); skipped otherwise).
- ``db-locked``: another process holds ``BEGIN EXCLUSIVE`` on the history for 5 s, from 2 s
  into the timed window; training must not stall (compare the timed window and wall time).
- ``sigterm``: SIGTERM 4 s into the timed window (what ``timeout`` and systemd send).
- ``sigkill-worker``: ``--isolated``, and the worker process is SIGKILLed 4 s in.

Per scenario: exit code, timed steps measured (the JSON result; for a killed worker, those it
had sent), timed steps stored in history, the stored status, and the CLI's warning about
history if it printed one. "lost silently" must be 0 everywhere: measured - stored, unless a
warning said so.

    python bench/faults_history.py              # all scenarios, 8 s runs
    python bench/faults_history.py --duration 4 --only sigterm db-locked
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("baseline", "disk-full", "db-locked", "sigterm", "sigkill-worker")
RUN_ARGS = ["--workload", "mlp", "--knob", "width=256", "--batch-size", "64", "--threads", "1"]
LOCK_HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=30)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.rollback()
"""


@dataclass
class Outcome:
    scenario: str
    exit_code: int | None = None
    measured: int | None = None
    stored: int | None = None
    status: str = "-"
    said: str = ""
    wall_s: float = 0.0
    timed_s: float | None = None
    note: str = ""

    @property
    def lost_silently(self) -> int | None:
        if self.measured is None or self.stored is None:
            return None
        lost = max(self.measured - self.stored, 0)
        return 0 if self.said else lost


class Scenario:
    """One CLI run with its own data dir; ``fault`` runs on a thread once measuring starts."""

    def __init__(self, name: str, work: Path, duration_s: float) -> None:
        self.name, self.work, self.duration_s = name, work, duration_s
        self.data = work / name / "data"
        self.json = work / name / "result.json"
        self.data.mkdir(parents=True, exist_ok=True)
        self.outcome = Outcome(name)
        self.mounted = False

    def command(self) -> list[str]:
        isolated = ["--isolated"] if self.name == "sigkill-worker" else []
        return [sys.executable, "-m", "profiler.cli", "run", *RUN_ARGS, "--duration", str(self.duration_s),
                "--json", str(self.json), *isolated]

    def run(self) -> Outcome:
        if self.name == "disk-full" and not self._mount():
            self.outcome.note = "skipped: cannot mount a tmpfs here (needs root)"
            return self.outcome
        env = {**os.environ, "HORSEPOWER_DATA_DIR": str(self.data),
               "HORSEPOWER_CONFIG_DIR": str(self.work / "config"), "HORSEPOWER_LOG_DIR": str(self.work / "log"),
               "HORSEPOWER_CACHE_DIR": str(self.work / "cache")}
        start = time.perf_counter()
        proc = subprocess.Popen(self.command(), cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        stderr_lines: list[str] = []
        measuring = threading.Event()
        reader = threading.Thread(target=self._read, args=(proc, stderr_lines, measuring), daemon=True)
        reader.start()
        if measuring.wait(180):
            self._fault(proc)
        proc.stdout.read() if proc.stdout else None  # type: ignore[func-returns-value]
        proc.wait(300)
        reader.join(10)
        self.outcome.wall_s = time.perf_counter() - start
        self.outcome.exit_code = proc.returncode
        self.outcome.said = next((line.strip() for line in stderr_lines if "history" in line and (
            "warning" in line or "error" in line)), "")
        self._collect()
        return self.outcome

    @staticmethod
    def _read(proc: subprocess.Popen[str], lines: list[str], measuring: threading.Event) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if "[measuring]" in line:
                measuring.set()

    def _fault(self, proc: subprocess.Popen[str]) -> None:
        if self.name == "disk-full":
            time.sleep(2.0)
            self._fill()
        elif self.name == "db-locked":
            time.sleep(2.0)
            holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(self.data / "history.db"), "5"],
                                      stdout=subprocess.PIPE, text=True)
            assert holder.stdout is not None
            self.outcome.note = f"lock held: {holder.stdout.readline().strip() == 'locked'}"
            holder.wait(60)
            holder.stdout.close()
        elif self.name == "sigterm":
            time.sleep(4.0)
            proc.send_signal(signal.SIGTERM)
        elif self.name == "sigkill-worker":
            time.sleep(4.0)
            children = psutil.Process(proc.pid).children()
            workers = [c for c in children if "spawn_main" in " ".join(c.cmdline())] or children
            for child in workers:
                child.kill()
            self.outcome.note = f"killed worker pid(s) {[c.pid for c in workers]}"

    def _mount(self) -> bool:
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(self.data)],
                              capture_output=True, text=True)
        self.mounted = proc.returncode == 0
        return self.mounted

    def _fill(self) -> None:
        try:
            with open(self.data / "filler", "wb") as fh:
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
        except OSError:  # full: that is the point
            pass
        self.outcome.note = "data dir filled to 100%"

    def _collect(self) -> None:
        try:
            result = json.loads(self.json.read_text())
            self.outcome.measured = int(result["timed_steps"])
            self.outcome.timed_s = float(result["timed_s"])
        except (OSError, ValueError, KeyError) as exc:
            self.outcome.note += f"; no JSON result ({exc})"
        if self.mounted:
            (self.data / "filler").unlink(missing_ok=True)  # room to read what was committed
        db = self.data / "history.db"
        if db.exists():
            conn = sqlite3.connect(db, timeout=10)
            row = conn.execute("SELECT id, status, incomplete FROM runs ORDER BY created_at DESC LIMIT 1").fetchone()
            if row is not None:
                self.outcome.status = row[1] + (" (incomplete)" if row[2] else "")
                self.outcome.stored = conn.execute(
                    "SELECT count(*) FROM steps WHERE run_id=? AND stage='timed'", (row[0],)).fetchone()[0]
            else:
                self.outcome.stored = 0
            conn.close()
        else:
            self.outcome.stored = 0
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.data)], capture_output=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=8.0, help="timed seconds per run (default 8)")
    p.add_argument("--only", nargs="+", choices=SCENARIOS, help="run only these scenarios")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="horsepower-faults-"))
    outcomes = []
    for name in args.only or SCENARIOS:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        outcomes.append(Scenario(name, work, args.duration).run())
    header = f"{'scenario':<15} {'exit':>4} {'measured':>8} {'stored':>6} {'lost silently':>13} " \
             f"{'wall s':>6} {'timed s':>7}  status"
    print(header)
    print("-" * len(header))
    for o in outcomes:
        lost = o.lost_silently
        print(f"{o.scenario:<15} {o.exit_code if o.exit_code is not None else '-':>4} "
              f"{o.measured if o.measured is not None else '-':>8} {o.stored if o.stored is not None else '-':>6} "
              f"{lost if lost is not None else '-':>13} {o.wall_s:>6.1f} "
              f"{o.timed_s if o.timed_s is not None else float('nan'):>7.1f}  {o.status}")
        for extra in (o.note, o.said):
            if extra:
                print(f"{'':<15} {extra}")
    silent = [o.scenario for o in outcomes if o.lost_silently]
    print("nothing measured was lost without being said" if not silent
          else f"LOST SILENTLY in: {', '.join(silent)}")
    return 1 if silent else 0


if __name__ == "__main__":
    sys.exit(main())
