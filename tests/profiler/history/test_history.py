"""History store: recording events, listing, renaming, deleting, interrupted runs, corruption."""

from __future__ import annotations

import json
import sqlite3

import pytest

from profiler.events import (
    EventBus,
    RunStateChanged,
    StepFinished,
)
from profiler.history import HistoryError, HistoryStore, RunRecorder, recording
from profiler.results.result import RunResult
from profiler.results.spec import RunSpec
from tests.helpers import fabricated, publish_run, wait_until


def test_recorder_stores_series_and_result(tmp_path):
    store = HistoryStore(tmp_path)
    bus = EventBus()
    spec = fabricated("r1").spec
    recorder = RunRecorder(store, "r1", spec)
    bus.subscribe(recorder)
    bus.publish(StepFinished("other-run", 0, "timed", 0.1, 0.1, 32, 1.0))  # ignored
    publish_run(bus, "r1")
    outcome = recorder.close()  # the writer thread commits; close waits for it
    assert outcome.complete and outcome.message is None and outcome.steps_stored == 5
    run = store.get("r1")
    assert run is not None
    assert run["status"] == "completed"
    assert run["samples_per_s"] == pytest.approx(3200.0)
    steps = run["series"]["steps"]
    assert steps["step"] == [0, 1, 2, 3, 4]
    assert steps["loss"][1] == pytest.approx(0.5)
    tele = run["series"]["telemetry"]
    assert sorted(tele) == ["cuda:0.power_w", "host.cpu_util_percent"]
    assert tele["host.cpu_util_percent"]["value"] == [50.0, 51.0, 52.0, 53.0, 54.0]
    assert run["series"]["notices"][0]["message"] == "noisy <b>"
    [summary] = store.list_runs()
    assert summary.run_id == "r1" and summary.samples_per_s == pytest.approx(3200.0)


def test_recorder_flushes_periodically_without_finish(tmp_path):
    store = HistoryStore(tmp_path)
    recorder = RunRecorder(store, "r2", RunSpec(workload="mlp"), flush_interval_s=0.0)
    recorder(RunStateChanged("r2", "measuring"))
    recorder(StepFinished("r2", 0, "timed", 0.2, 0.2, 16, None))
    wait_until(lambda: recorder.steps_committed >= 1, what="the writer thread's commit")
    other = HistoryStore(tmp_path)  # a second connection sees committed rows only
    run = other.get("r2")
    assert run["status"] == "measuring"
    assert run["series"]["steps"]["step_time_s"] == [0.2]
    assert run["samples_per_s"] == pytest.approx(80.0)
    assert run["history"]["final"] is False
    other.close()
    recorder.close()
    store.close()


def test_list_filters_rename_delete(tmp_path):
    store = HistoryStore(tmp_path)
    store.store_result(fabricated("a", "cpu").to_dict())
    store.store_result(fabricated("b", "cuda:0", name="Big GPU run").to_dict())
    assert [r.run_id for r in store.list_runs(device="cpu")] == ["a"]
    assert [r.run_id for r in store.list_runs(text="big gpu")] == ["b"]
    assert store.list_runs(text="100%") == []
    assert store.list_runs(status="failed") == []
    assert len(store.list_runs(workload="mlp")) == 2
    store.rename("a", "renamed")
    run = store.get("a")
    assert run["name"] == "renamed" and run["spec"]["name"] == "renamed"
    assert RunResult.from_dict(run).name == "renamed"
    with pytest.raises(KeyError):
        store.rename("missing", "x")
    assert store.delete("a") is True
    assert store.delete("a") is False
    assert store.get("a") is None
    assert store.run_ids() == ["b"]


def test_import_rebuilds_steps_and_refuses_duplicates(tmp_path):
    store = HistoryStore(tmp_path)
    store.store_result(fabricated("a").to_dict())
    steps = store.get("a")["series"]["steps"]
    assert len(steps["t_s"]) == 20 and steps["stage"][0] == "timed"
    assert steps["t_s"][-1] == pytest.approx(0.2)
    with pytest.raises(HistoryError, match="already in history"):
        store.store_result(fabricated("a").to_dict())


def test_stale_running_run_marked_interrupted_live_one_kept(tmp_path):
    store = HistoryStore(tmp_path)
    live = RunRecorder(store, "live", RunSpec(workload="mlp"))
    live(RunStateChanged("live", "measuring"))
    assert live.sync()
    store.begin_run("dead", RunSpec(workload="mlp"), status="measuring")
    with store._conn:
        store._conn.execute("UPDATE runs SET owner_pid=999999999 WHERE id='dead'")
    reopened = HistoryStore(tmp_path)
    statuses = {r.run_id: r.status for r in reopened.list_runs()}
    assert statuses == {"live": "measuring", "dead": "interrupted"}
    live.close()


@pytest.mark.parametrize("content", [b"this is not a database at all" * 100,
                                     b"SQLite format 3\x00" + b"\xff" * 4000])
def test_corrupt_database_moved_aside(tmp_path, content):
    (tmp_path / "history.db").write_bytes(content)
    store = HistoryStore(tmp_path)
    assert len(store.notices) == 1 and "moved to" in store.notices[0]
    moved = list(tmp_path.glob("history.db.corrupt-*"))
    assert len(moved) == 1 and moved[0].read_bytes() == content
    store.store_result(fabricated("fresh").to_dict())
    assert store.run_ids() == ["fresh"]
    assert HistoryStore(tmp_path).notices == []


def test_database_is_wal(tmp_path):
    HistoryStore(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "history.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_env_var_sets_location(tmp_path, monkeypatch):
    monkeypatch.setenv("HORSEPOWER_DATA_DIR", str(tmp_path / "data"))
    store = HistoryStore.open()
    assert store.path == tmp_path / "data" / "history.db"


def test_recording_context_for_cli(tmp_path):
    bus = EventBus()
    store = HistoryStore(tmp_path)
    with recording(bus, "c", fabricated("c").spec, store=store) as recorder:
        assert recorder is not None
        publish_run(bus, "c")
    assert store.get("c")["status"] == "completed"
    assert json.loads(json.dumps(store.get("c")))["run_id"] == "c"


def test_recording_reports_unusable_history_once_at_the_end(tmp_path, monkeypatch):
    """A history that cannot open is said once through ``warn`` when the run ends; the run goes on
    unrecorded, and the store is opened on the writer thread, never the caller's."""
    said: list[str] = []
    opened_on: list[str] = []

    def broken(cls, *args, **kwargs):
        import threading

        opened_on.append(threading.current_thread().name)
        raise HistoryError("disk on fire")

    monkeypatch.setattr(HistoryStore, "open", classmethod(broken))
    bus = EventBus()
    with recording(bus, "x", fabricated("x").spec, warn=said.append) as recorder:
        publish_run(bus, "x")
    assert len(said) == 1 and "disk on fire" in said[0] and "not in history" in said[0]
    assert recorder.outcome().recorded is False
    assert opened_on and all(name.startswith("history-") for name in opened_on)
