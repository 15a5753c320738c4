"""What every fault scenario of ``bench/faults.py`` needs: an isolated sandbox, marked processes,
listeners, file fingerprints and one row of the table.

A ``Sandbox`` gives each scenario its own HOME, XDG_* and HORSEPOWER_* dirs and TMPDIR under one
temporary folder, and marks every process it starts (and their children, which inherit the
environment) with a token, so a survivor is found wherever it was re-parented; ``close`` kills
whatever still carries the token.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "tests" / "models"
MARK = "HORSEPOWER_FAULT_MARK"
LOOPBACK = ("127.0.0.1", "::1")
GONE_WITHIN_S = 5.0


@dataclass
class Row:
    """One scenario's line: what it did, and the counts that must be zero where zero is right."""

    scenario: str
    item: str  # the numbered item
    exit_code: int | None = None
    expected_exit: str = ""
    measured: int | None = None
    stored: int | None = None
    processes_left: int = 0
    listeners_beyond_loopback: int = 0
    files_overwritten: int = 0
    ok: bool = False
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Sandbox:
    """Isolated dirs and marked processes for one scenario (see the module doc)."""

    def __init__(self, base: Path, name: str) -> None:
        self.dir = base / name
        self.token = uuid.uuid4().hex
        self.dirs = {key: self.dir / key.lower() for key in ("HOME", "DATA", "CONFIG", "CACHE", "TMP", "CWD", "XDG")}
        for path in self.dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        self.procs: list[subprocess.Popen[bytes]] = []

    @property
    def db(self) -> Path:
        return self.dirs["DATA"] / "history.db"

    def env(self, **extra: str) -> dict[str, str]:
        xdg = self.dirs["XDG"]
        env = {**os.environ, MARK: self.token, "HOME": str(self.dirs["HOME"]),
               "XDG_DATA_HOME": str(xdg / "data"), "XDG_CONFIG_HOME": str(xdg / "config"),
               "XDG_CACHE_HOME": str(xdg / "cache"), "XDG_STATE_HOME": str(xdg / "state"),
               "HORSEPOWER_DATA_DIR": str(self.dirs["DATA"]), "HORSEPOWER_CONFIG_DIR": str(self.dirs["CONFIG"]),
               "HORSEPOWER_CACHE_DIR": str(self.dirs["CACHE"]), "HORSEPOWER_LOG_DIR": str(self.dir / "log"),
               "TMPDIR": str(self.dirs["TMP"]), "HORSEPOWER_CEILING": "off", "QT_QPA_PLATFORM": "offscreen",
               "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
        env.update(extra)
        return env

    def start(self, args: list[str], module: str = "profiler.cli", stdout: Any = subprocess.DEVNULL,
              **env: str) -> subprocess.Popen[bytes]:
        """``python -P -m module args`` in the sandbox's own working directory (stderr to a file)."""
        err = open(self.dir / f"stderr-{len(self.procs)}.txt", "wb")
        proc = subprocess.Popen([sys.executable, "-P", "-m", module, *args], cwd=self.dirs["CWD"],
                                env=self.env(**env), stdout=stdout, stderr=err, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        proc.err_file = err  # type: ignore[attr-defined]
        proc.err_path = Path(err.name)  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def run(self, args: list[str], timeout_s: float = 180.0, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-P", "-m", "profiler.cli", *args], cwd=self.dirs["CWD"],
                              env=self.env(**env), capture_output=True, text=True, timeout=timeout_s, check=False)

    def marked(self) -> list[psutil.Process]:
        found = []
        for proc in psutil.process_iter():
            try:
                if proc.environ().get(MARK) == self.token and proc.status() != psutil.STATUS_ZOMBIE:
                    found.append(proc)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        return found

    def running(self, needle: str, count: int = 1) -> Callable[[], bool]:
        def check() -> bool:
            lines = []
            for proc in self.marked():
                try:
                    lines.append(" ".join(proc.cmdline()))
                except psutil.Error:
                    continue
            return sum(needle in line for line in lines) >= count
        return check

    def survivors(self, exclude: int | None = None, within_s: float = GONE_WITHIN_S) -> int:
        """How many marked processes are still alive ``within_s`` seconds from now."""
        deadline = time.monotonic() + within_s
        while True:
            left = [p for p in self.marked() if p.pid != exclude]
            if not left or time.monotonic() > deadline:
                return len(left)
            time.sleep(0.1)

    def listeners_beyond_loopback(self) -> int:
        pids = {p.pid for p in self.marked()}
        count = 0
        for conn in psutil.net_connections(kind="inet"):
            if conn.status == psutil.CONN_LISTEN and conn.pid in pids and conn.laddr.ip not in LOOPBACK:
                count += 1
        return count

    def timed_steps_stored(self) -> int:
        if not self.db.exists():
            return 0
        try:
            with sqlite3.connect(self.db, timeout=10) as conn:
                return int(conn.execute("SELECT count(*) FROM steps WHERE stage='timed'").fetchone()[0])
        except sqlite3.Error:  # the database is being created right now
            return 0

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(10)
            proc.err_file.close()  # type: ignore[attr-defined]
        for left in self.marked():
            try:
                left.kill()
            except psutil.Error:
                pass


def wait_until(condition: Callable[[], bool], timeout_s: float = 180.0, poll_s: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(poll_s)
    return False


def fingerprint(*paths: Path) -> dict[str, str]:
    """sha256 of each existing file (missing: "")."""
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else "" for p in paths}


def changed(before: dict[str, str]) -> int:
    """How many of the fingerprinted files differ now."""
    after = fingerprint(*(Path(p) for p in before))
    return sum(before[p] != after[p] for p in before)


def last_line(path: Path) -> str:
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:160] if lines else ""
