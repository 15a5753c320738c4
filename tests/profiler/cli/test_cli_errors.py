"""The CLI's error boundary: every failure is one clear line with the right exit code, and bad
input is refused before any work starts."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from profiler import cli
from profiler.history import HistoryStore
from profiler.history.database import SCHEMA_VERSION
from tests.helpers import fabricated, mounted_tmpfs, tiny

TINY = ["--workload", "mlp", "--knob", "width=64", "--knob", "depth=1", "--batch-size", "32", "--threads", "1"]


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_data_dir_that_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("HORSEPOWER_DATA_DIR", str(tmp_path / "file"))
    assert cli.main(["history"]) == 1
    line = one_line(capsys.readouterr().err)
    assert "it is a file" in line and "HORSEPOWER_DATA_DIR" in line


def test_xdg_data_dir_that_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "xdg").write_text("x")
    monkeypatch.delenv("HORSEPOWER_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if not sys.platform.startswith("linux"):
        pytest.skip("XDG_DATA_HOME is a Linux convention")
    assert cli.main(["history"]) == 1
    assert "cannot use directory" in one_line(capsys.readouterr().err)


@pytest.mark.slow
def test_read_only_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    with mounted_tmpfs(tmp_path / "ro", readonly=True) as ro:
        monkeypatch.setenv("HORSEPOWER_DATA_DIR", str(ro))
        assert cli.main(["history"]) == 1
        line = one_line(capsys.readouterr().err)
        assert "cannot use run history" in line
        # a run still runs (history is never why a run fails) and says once that it is not stored
        assert cli.main(["run", *TINY, "--duration", "0.3"]) == 0
        err = capsys.readouterr().err
        assert err.count("not in history") == 1 and "Traceback" not in err


def test_newer_schema_is_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with HistoryStore() as store:
        with store._conn:
            store._conn.execute("UPDATE meta SET value='99' WHERE key='schema'")
    assert cli.main(["history"]) == 1
    line = one_line(capsys.readouterr().err)
    assert "newer Horsepower (schema 99" in line


def test_schema_version_is_recorded_and_old_databases_migrate(tmp_path: Path) -> None:
    HistoryStore(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "history.db")
    assert conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone() == (str(SCHEMA_VERSION),)
    conn.execute("CREATE TABLE runs_v1 AS SELECT * FROM runs")  # rebuild a schema-1 database
    conn.execute("DROP TABLE runs")
    conn.execute("ALTER TABLE runs_v1 DROP COLUMN incomplete")
    conn.execute("ALTER TABLE runs_v1 RENAME TO runs")
    conn.execute("UPDATE meta SET value='1' WHERE key='schema'")
    conn.commit()
    conn.close()
    with HistoryStore(tmp_path) as store:
        store.store_result(fabricated("after").to_dict())
        assert store.list_runs()[0].incomplete is None


def test_a_schema_2_database_whose_steps_name_their_stage_phase_keeps_its_steps(tmp_path: Path) -> None:
    """Schema 3 renamed ``steps.phase`` (a step's run stage: warmup | timed) to ``steps.stage``."""
    with HistoryStore(tmp_path) as store:
        store.store_result(fabricated("before").to_dict())
        written = store.series("before")["steps"]
    conn = sqlite3.connect(tmp_path / "history.db")
    conn.execute("ALTER TABLE steps RENAME COLUMN stage TO phase")  # as schema 2 wrote it
    conn.execute("UPDATE meta SET value='2' WHERE key='schema'")
    conn.commit()
    conn.close()
    with HistoryStore(tmp_path) as store:
        read = store.series("before")["steps"]
        store.store_result(fabricated("after").to_dict())
        assert store.series("after")["steps"]["stage"]
    assert read == written and set(read["stage"]) == {"timed"}
    conn = sqlite3.connect(tmp_path / "history.db")
    try:
        assert {row[1] for row in conn.execute("PRAGMA table_info(steps)")} >= {"stage"}
        assert conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone() == (str(SCHEMA_VERSION),)
    finally:
        conn.close()


def damaged_database(path: Path) -> None:
    """A real SQLite file whose integrity check reports ~200 lines of damage."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t(a, b)")
    conn.execute("CREATE INDEX ti ON t(a)")
    conn.executemany("INSERT INTO t VALUES(?, ?)", [(i, "x" * 50) for i in range(20000)])
    conn.commit()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    raw = bytearray(path.read_bytes())
    for page in range(3, pages, 3):
        offset = page * 4096 + 200
        raw[offset:offset + 40] = bytes((page * 7 + i * 13) % 256 for i in range(40))
    path.write_bytes(bytes(raw))


def test_corruption_notice_is_short_and_said_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    damaged_database(data / "history.db")
    proc = subprocess.run([sys.executable, "-m", "profiler.cli", "history"], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "HORSEPOWER_DATA_DIR": str(data)})
    assert proc.returncode == 0
    line = one_line(proc.stderr)
    assert line.startswith("horsepower: notice: run history") and "moved to" in line and len(line) < 400
    assert list(data.glob("history.db.corrupt-*"))


def test_knob_that_overflows_torch_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """width^2 overflows torch's storage size ("Storage size calculation overflowed")."""
    assert cli.main(["run", "--knob", "width=99999999999", "--no-history"]) == 2
    assert "--knob width must be a whole number from" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize(("args", "fragment"), [
    (["--knob", "width=" + "9" * 5000], "too large"),
    (["--duration", "inf"], "duration must be"),
    (["--duration", "nan"], "duration must be"),
    (["--duration", "-1"], "duration must be"),
    (["--duration", "1e300"], "duration must be"),
    (["--name", "n" * 201], "at most 200 characters"),
])
def test_bad_run_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          args: list[str], fragment: str) -> None:
    out = tmp_path / "r.json"
    assert cli.main(["run", *TINY, *args, "--json", str(out)]) == 2
    assert fragment in one_line(capsys.readouterr().err)
    assert not out.exists()
    with HistoryStore() as store:
        assert store.run_ids() == []


def test_duration_inf_never_starts_a_run(tmp_path: Path) -> None:
    """Before: it ran forever. Now: refused at once (a subprocess, so the old code cannot hang the suite)."""
    proc = subprocess.run([sys.executable, "-m", "profiler.cli", "run", *TINY, "--duration", "inf", "--no-history"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "duration must be" in proc.stderr


def test_sweep_html_to_a_bad_path_is_refused_before_any_point(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from profiler.cli import sweep as sweep_command

    ran: list[object] = []
    monkeypatch.setattr(sweep_command, "recording_run_fn", lambda *a: ran.append)
    dangling = tmp_path / "report.html"
    dangling.symlink_to(tmp_path / "missing-dir" / "r.html")
    for bad in (tmp_path, dangling, tmp_path / "missing-dir" / "r.html"):
        assert cli.main(["sweep", "--knob", "width", "--values", "64", "--device", "cpu",
                         "--html", str(bad)]) == 2
        one_line(capsys.readouterr().err)
    assert ran == []


def test_sweep_point_that_fails_validation_creates_no_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every point is checked before the first starts; a point that never starts leaves no row."""
    from profiler.analysis.sweep import sweep
    from profiler.cli.sweep import recording_run_fn
    from profiler.runner import SpecError

    with pytest.raises(SpecError):
        sweep("mlp", "width", [64, 99999999999], ["cpu"], base=tiny(0.2))
    with HistoryStore() as store:
        assert store.run_ids() == []
    run = recording_run_fn(True)
    with pytest.raises(SpecError):
        run(tiny(0.2).replace(device="quantum"))  # refused before the run publishes anything
    with HistoryStore() as store:
        assert store.run_ids() == []


def test_currency_is_validated_and_a_bad_prices_file_is_not_a_lock_out(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["value", "set", "--currency", "<x>"]) == 2
    assert "three-letter code" in one_line(capsys.readouterr().err)
    assert cli.main(["value", "set", "--currency", "eur"]) == 0
    capsys.readouterr()
    assert cli.main(["value", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["currency"] == "EUR"
    prices = Path(os.environ["HORSEPOWER_CONFIG_DIR"]) / "prices.json"
    prices.write_text(json.dumps({"schema": 1, "currency": "<script>", "devices": {}}))
    assert cli.main(["value", "show"]) == 0  # a bad settings file is set aside with a notice, never fatal
    err = capsys.readouterr().err
    assert str(prices) in err and "set it aside" in err and not prices.exists()
    assert list(prices.parent.glob("prices.json.bad-*"))
    assert cli.main(["value", "set", "--currency", "USD"]) == 0
    assert cli.main(["value", "reset"]) == 0
    assert "set aside" in capsys.readouterr().out
    assert cli.main(["value", "show"]) == 0
    assert list(prices.parent.glob("prices.json.old-*"))


def test_readme_value_project_example(capsys: pytest.CaptureFixture[str]) -> None:
    with HistoryStore() as store:
        store.store_result(fabricated("run-a", "cpu").to_dict())
        store.store_result(fabricated("run-b", "cuda:0", step_s=0.005).to_dict())
    assert cli.main(["value", "set", "cuda:0", "--cloud", "2.50"]) == 0
    assert cli.main(["value", "project", "run-a", "run-b", "--samples", "1e9", "--epochs", "3"]) == 0
    out = capsys.readouterr().out
    assert "run-b on cuda:0" in out
    assert cli.main(["value", "project", "run-a", "--samples", "inf"]) == 2


def test_unexpected_errors_are_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from profiler.cli import boundary

    def explode(args: argparse.Namespace) -> int:
        raise RuntimeError("something\nmulti-line \x1b[31m")

    assert boundary.guarded(explode, argparse.Namespace(command="x")) == 1
    line = one_line(capsys.readouterr().err)
    assert line.startswith("horsepower: internal error: unexpected RuntimeError: something")

    def disk(args: argparse.Namespace) -> int:
        raise OSError(28, "No space left on device", "/x/y")

    assert boundary.guarded(disk, argparse.Namespace()) == 1
    assert one_line(capsys.readouterr().err) == "horsepower: error: No space left on device: /x/y"


def test_oom_while_building_tries_smaller_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    from profiler.runner import run_training
    from profiler.workloads import get_workload

    mlp = type(get_workload("mlp"))
    real_build = mlp.build

    def build(self: object, device: object, size: str = "S", batch_size: int | None = None,
              *args: object, **kwargs: object) -> object:
        on_meta = torch.device(device).type == "meta"  # type: ignore[call-overload]  # validation builds on meta
        if not on_meta and (batch_size or 256) > 16:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return real_build(self, device, size, batch_size, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(mlp, "build", build)
    result = run_training(tiny(0.2).replace(batch_size=None))  # the preset's batch: 256
    assert result.status == "oom"
    assert result.advice is not None
    assert "batch size 256 ran out of memory while building the model" in result.advice
    assert "the largest batch that fit was 16" in result.advice and "batch size 0" not in result.advice
