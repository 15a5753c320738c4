"""History under faults: rows stay buffered until committed, a locked database never stalls the
publishing (training) thread, and what could not be stored is said and marked."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import profiler.history.recorder as recorder_module
from profiler.events import EventBus, RunFinished, RunStateChanged, StepFinished
from profiler.history import HistoryStore, RunRecorder, recording
from profiler.history.recorder import HistoryOutcome
from tests.helpers import fabricated, mounted_tmpfs, publish_run, stop_process

LOCK_HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=0)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.rollback()
"""


class FlakyStore(HistoryStore):
    """A real store whose first ``failures`` writes fail like a full disk."""

    def __init__(self, directory: Path, failures: int) -> None:
        super().__init__(directory)
        self.failures = failures
        self.calls = 0

    def append(self, *args: Any, **kwargs: Any) -> None:
        self.calls += 1
        if self.failures > 0:
            self.failures -= 1
            raise sqlite3.OperationalError("database or disk is full")
        super().append(*args, **kwargs)


def steps(bus: EventBus, run_id: str, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        bus.publish(StepFinished(run_id, i, "timed", 0.01 * (i + 1), 0.01, 8, 1.0))


def test_failed_writes_keep_rows_until_committed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recorder_module, "RETRY_FIRST_S", 0.01)
    store = FlakyStore(tmp_path, failures=3)
    bus = EventBus()
    recorder = RunRecorder(store, "r", fabricated("r").spec, flush_interval_s=0.01)
    bus.subscribe(recorder)
    bus.publish(RunStateChanged("r", "measuring"))
    steps(bus, "r", 40)
    bus.publish(RunFinished("r", fabricated("r")))
    outcome = recorder.close()
    assert store.calls > 3  # it failed, and retried
    assert outcome.complete and outcome.steps_stored == outcome.steps_measured == 40
    run = store.get("r")
    assert run is not None and len(run["series"]["steps"]["step"]) == 40
    assert run["history"]["incomplete"] is None


class GatedStore(HistoryStore):
    """A real store whose first step write waits until the test opens the gate."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.entered, self.gate = threading.Event(), threading.Event()

    def append(self, run_id: str, steps: Any, *args: Any, **kwargs: Any) -> None:
        if steps and not self.entered.is_set():
            self.entered.set()
            assert self.gate.wait(10)
        super().append(run_id, steps, *args, **kwargs)


def test_steps_and_final_result_arriving_during_a_commit_are_not_called_lost(tmp_path: Path) -> None:
    """The writer took the buffer, then the last steps and the final result arrived: the final
    row waits for those steps instead of being stored as 'incomplete' (a stopped run's race)."""
    store = GatedStore(tmp_path)
    bus = EventBus()
    recorder = RunRecorder(store, "r", fabricated("r").spec, flush_interval_s=0.01)
    bus.subscribe(recorder)
    bus.publish(RunStateChanged("r", "measuring"))
    steps(bus, "r", 5)
    assert store.entered.wait(10)  # the writer is committing the first 5
    steps(bus, "r", 7, start=5)
    bus.publish(RunFinished("r", fabricated("r")))
    store.gate.set()
    outcome = recorder.close()
    assert outcome.complete and outcome.steps_stored == outcome.steps_measured == 12
    run = store.get("r")
    assert run is not None and len(run["series"]["steps"]["step"]) == 12
    assert run["history"]["incomplete"] is None


def test_writes_that_never_succeed_are_said_plainly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recorder_module, "RETRY_FIRST_S", 0.01)
    monkeypatch.setattr(recorder_module, "CLOSE_TIMEOUT_S", 0.5)
    store = FlakyStore(tmp_path, failures=10**9)
    bus = EventBus()
    got: list[HistoryOutcome] = []
    with recording(bus, "r", fabricated("r").spec, store=store, on_outcome=got.append) as recorder:
        assert recorder is not None
        bus.publish(RunStateChanged("r", "measuring"))
        steps(bus, "r", 25)
        bus.publish(RunFinished("r", fabricated("r")))
    [outcome] = got
    assert not outcome.complete
    assert outcome.steps_measured == 25 and outcome.steps_stored == 0
    assert outcome.message is not None
    assert "kept 0 of 25 measured steps" in outcome.message and "database or disk is full" in outcome.message


def test_locked_database_never_stalls_the_publishing_thread(tmp_path: Path) -> None:
    """Another process holds BEGIN EXCLUSIVE for 3 s while the run publishes."""
    HistoryStore(tmp_path).close()
    blocker = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(tmp_path / "history.db"), "3"],
                               stdout=subprocess.PIPE, text=True)
    assert blocker.stdout is not None and blocker.stdout.readline().strip() == "locked"
    bus = EventBus()
    worst_s = 0.0
    try:
        start = time.perf_counter()
        recorder = RunRecorder(lambda: HistoryStore(tmp_path, busy_timeout_s=2.0), "locked",
                               fabricated("locked").spec, flush_interval_s=0.05)
        worst_s = time.perf_counter() - start
        bus.subscribe(recorder)
        for i in range(150):
            t0 = time.perf_counter()
            bus.publish(RunStateChanged("locked", "measuring") if i % 50 == 0 else
                        StepFinished("locked", i, "timed", 0.02 * i, 0.02, 8, 1.0))
            worst_s = max(worst_s, time.perf_counter() - t0)
            time.sleep(0.02)
        bus.publish(RunFinished("locked", fabricated("locked")))
        outcome = recorder.close()
    finally:
        try:
            blocker.wait(30)
        finally:
            stop_process(blocker)
    # a publish that waited on the database would wait out the 2 s busy timeout (the writer fails
    # once, then retries after the lock is gone), far more than a loaded machine's 1 s
    assert worst_s < 1.0, f"a publish waited {worst_s:.2f} s on the database"
    assert outcome.complete and outcome.steps_stored == 147
    with HistoryStore(tmp_path) as store:
        run = store.get("locked")
        assert run is not None and len(run["series"]["steps"]["step"]) == 147


def test_no_row_for_a_run_that_never_starts(tmp_path: Path) -> None:
    with HistoryStore(tmp_path) as store:
        with recording(EventBus(), "never", fabricated("never").spec, store=store) as recorder:
            pass  # e.g. the spec was refused before the run published anything
        assert recorder.outcome().complete
        assert store.run_ids() == []


def test_rows_beyond_the_buffer_mark_the_stored_run_incomplete(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recorder_module, "MAX_BUFFERED_ROWS", 10)
    monkeypatch.setattr(recorder_module, "RETRY_FIRST_S", 0.01)
    store = FlakyStore(tmp_path, failures=10**9)
    bus = EventBus()
    recorder = RunRecorder(store, "big", fabricated("big").spec, flush_interval_s=0.01)
    bus.subscribe(recorder)
    bus.publish(RunStateChanged("big", "measuring"))
    steps(bus, "big", 30)  # the database is full: 10 are buffered, 20 cannot be kept
    store.failures = 0  # space again
    bus.publish(RunFinished("big", fabricated("big")))
    outcome = recorder.close()
    assert outcome.steps_measured == 30 and outcome.steps_stored == 10 and outcome.rows_dropped == 20
    assert outcome.message is not None and "marked incomplete" in outcome.message
    [summary] = store.list_runs()
    assert summary.incomplete is not None and "10 of 30 steps stored" in summary.incomplete
    run = store.get("big")
    assert run is not None and run["history"]["incomplete"] == summary.incomplete


def test_unfinished_run_is_marked_interrupted_and_incomplete(tmp_path: Path) -> None:
    with HistoryStore(tmp_path) as store:
        store.begin_run("dead", fabricated("dead").spec, status="measuring")
        with store._conn:
            store._conn.execute("UPDATE runs SET owner_pid=999999999 WHERE id='dead'")
    with HistoryStore(tmp_path) as store:
        [summary] = store.list_runs()
    assert summary.status == "interrupted" and summary.incomplete


def test_disk_full_mid_run_is_said_and_the_run_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real full file system (a 1 MiB tmpfs as the data dir, filled mid-run)."""
    monkeypatch.setattr(recorder_module, "CLOSE_TIMEOUT_S", 1.5)
    with mounted_tmpfs(tmp_path / "small", size="1m") as data:
        monkeypatch.setenv("HORSEPOWER_DATA_DIR", str(data))
        bus = EventBus()
        got: list[HistoryOutcome] = []
        with recording(bus, "full", fabricated("full").spec, on_outcome=got.append) as recorder:
            bus.publish(RunStateChanged("full", "measuring"))
            steps(bus, "full", 20)
            assert recorder.sync()
            with open(data / "filler", "wb") as fh:  # fill the disk
                try:
                    while True:
                        fh.write(b"\0" * 65536)
                        fh.flush()
                except OSError:
                    pass
            steps(bus, "full", 3000, start=20)
            bus.publish(RunFinished("full", fabricated("full")))
        [outcome] = got
    assert outcome.steps_measured == 3020
    assert outcome.steps_stored < 3020 and not outcome.complete
    assert outcome.message is not None and "of 3,020 measured steps" in outcome.message


def test_publish_run_through_recording_stores_everything(tmp_path: Path) -> None:
    with HistoryStore(tmp_path) as store:
        bus = EventBus()
        with recording(bus, "ok", fabricated("ok").spec, store=store) as recorder:
            publish_run(bus, "ok")
        assert recorder.outcome().complete
        run = store.get("ok")
        assert run is not None and run["status"] == "completed"
