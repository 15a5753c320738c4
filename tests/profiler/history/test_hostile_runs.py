"""Hostile run files and rows: every number range-checked on import, reads capped, history views
robust to any row already stored, escape sequences never reach the terminal, and deletion."""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from profiler import cli
from profiler.history import HistoryStore
from profiler.reports.export import ImportRejected
from profiler.reports.validate import read_run_file
from tests.helpers import fabricated


def run_file(tmp_path: Path, **changes: Any) -> Path:
    data = fabricated("hostile").to_dict()
    data.update(changes)
    path = tmp_path / "run.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"started_at": 1e300}, "started_at"),
    ({"started_at": -1e18}, "started_at"),
    ({"ended_at": 1e300}, "ended_at"),
    ({"batch_size": -5}, "batch_size"),
    ({"params": 10**30}, "number too large"),
    ({"flops_per_step": 1e200}, "flops_per_step"),
    ({"step_times_s": [0.01, 1e300]}, "step_times_s[1]"),
    ({"warmup_s": -1.0}, "warmup_s"),
    ({"name": "n" * 201}, "longer than 200"),
])
def test_out_of_range_numbers_are_rejected(tmp_path: Path, changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ImportRejected, match=re.escape(fragment)):
        read_run_file(run_file(tmp_path, **changes))


def test_huge_integer_literal_is_rejected(tmp_path: Path) -> None:
    text = json.dumps(fabricated("big").to_dict()).replace('"params": 0', '"params": 1' + "0" * 400)
    path = tmp_path / "big.json"
    path.write_text(text)
    with pytest.raises(ImportRejected, match="number too large"):
        read_run_file(path)


def test_spec_and_series_ranges(tmp_path: Path) -> None:
    data = fabricated("s").to_dict()
    data["spec"]["duration_s"] = 1e300
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ImportRejected, match="spec duration_s"):
        read_run_file(path)
    with HistoryStore(tmp_path / "db") as store:
        store.store_result(fabricated("t").to_dict())
        run = store.get("t")
    assert run is not None
    series = run["series"]
    series["steps"]["t_s"][0] = 1e300
    envelope = {"format": "horsepower-run", "schema": 2, "run": fabricated("t").to_dict(), "series": series}
    path.write_text(json.dumps(envelope))
    with pytest.raises(ImportRejected, match=r"series\.steps\.t_s"):
        read_run_file(path)


def test_reading_a_stream_is_capped(tmp_path: Path) -> None:
    """A FIFO reports size 0; what is read from it is still capped at 50 MB."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as fh:
            try:
                fh.write(b'{"a": "' + b"x" * (51 * 1024 * 1024))
            except BrokenPipeError:
                pass

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        with pytest.raises(ImportRejected, match="larger than 50 MB"):
            read_run_file(fifo)
    finally:
        writer.join(30)


def insert_hostile_rows(directory: Path) -> None:
    """Rows no Horsepower writes: times out of range, a result that is not JSON, text as steps."""
    with HistoryStore(directory) as store:
        store.store_result(fabricated("good").to_dict())
        store.store_result(fabricated("far-future").to_dict())
        store.store_result(fabricated("garbage").to_dict())
        with store._conn:
            store._conn.execute("UPDATE runs SET created_at=1e300, samples_per_s=9e999 WHERE id='far-future'")
            store._conn.execute("UPDATE runs SET result='{not json', spec='[]' WHERE id='garbage'")
            store._conn.execute("UPDATE steps SET t_s='soon', step_time_s=-1e999 WHERE run_id='good' AND step=0")


def test_history_views_survive_any_stored_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    insert_hostile_rows(Path(os.environ["HORSEPOWER_DATA_DIR"]))
    assert cli.main(["history"]) == 0
    out, err = capsys.readouterr()
    assert "good" in out and "far-future" in out and "garbage" in out
    assert "damaged" in err and len(err.strip().splitlines()) == 1
    assert cli.main(["history", "--json"]) == 0
    listed = {r["run_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert listed["far-future"]["created_at"] == 0.0 and listed["far-future"]["samples_per_s"] is None
    with HistoryStore() as store:
        good = store.get("good")
        assert good is not None and len(good["series"]["steps"]["t_s"]) == 19  # the bad step is skipped
        assert store.get("garbage") is None and "garbage" in store.damaged
    assert cli.main(["export", "garbage", "--json", str(tmp_path / "g.json")]) == 2
    err = capsys.readouterr().err
    assert "damaged" in err and "history delete garbage" in err and len(err.strip().splitlines()) == 1


def test_history_delete(capsys: pytest.CaptureFixture[str]) -> None:
    insert_hostile_rows(Path(os.environ["HORSEPOWER_DATA_DIR"]))
    assert cli.main(["history", "delete", "garbage", "nope"]) == 2  # unknown id: nothing deleted
    assert "no run 'nope'" in capsys.readouterr().err
    with HistoryStore() as store:
        assert sorted(store.run_ids()) == ["far-future", "garbage", "good"]
    assert cli.main(["history", "delete", "garbage", "far-future"]) == 0
    out = capsys.readouterr().out
    assert "deleted run garbage" in out and "deleted run far-future" in out
    with HistoryStore() as store:
        assert store.run_ids() == ["good"]
        assert store.series("garbage")["steps"]["step"] == []


def test_escape_sequences_never_reach_the_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evil = "\x1b]0;owned\x07\x1b[2J\rname\u202egnp.exe"
    data = fabricated("esc", name=evil).to_dict()
    data["warnings"] = ["\x1b[31mred"]
    path = tmp_path / "esc.json"
    path.write_text(json.dumps(data))
    assert cli.main(["import", str(path)]) == 0
    assert cli.main(["history"]) == 0
    assert cli.main(["compare", "esc", "esc"]) == 0
    assert cli.main(["history", "delete", "esc"]) == 0
    out, err = capsys.readouterr()
    for text in (out, err):
        assert "\x1b" not in text and "\x07" not in text and "\r" not in text and "\u202e" not in text
    assert "\\x1b[2J" in out and "\\u202e" in out


def test_summary_escapes_names_and_messages() -> None:
    from profiler.cli.summary import render_summary

    result = fabricated("s", name="\x1b[2Jrun")
    result.warnings.append("\x1b[5mblink")
    text = render_summary(result.to_dict())
    assert "\x1b" not in text and "\\x1b[2Jrun" in text and "\\x1b[5mblink" in text
