"""Output paths: nothing at the path is clobbered, devices and FIFOs are written through, a failed
write says so and leaves the old file, and unwritable targets are refused before any work."""

from __future__ import annotations

import errno
import json
import os
import socket
import stat
import threading
from pathlib import Path

import pytest

from profiler import cli, outputs
from profiler.outputs import OutputPathError, OutputWriteError, check_output_path, write_text
from tests.helpers import make_char_device, mounted_tmpfs


def test_char_device_is_written_through_not_replaced(tmp_path: Path) -> None:
    null = make_char_device(tmp_path / "null", 1, 3)
    check_output_path(str(null))
    write_text(str(null), "data")
    assert stat.S_ISCHR(os.stat(null).st_mode)


def test_full_device_write_fails_in_one_line_and_stays_a_device(tmp_path: Path) -> None:
    full = make_char_device(tmp_path / "full", 1, 7)
    check_output_path(str(full))  # writable as far as anyone can tell up front
    with pytest.raises(OutputWriteError, match="No space left on device"):
        write_text(str(full), "data")
    assert stat.S_ISCHR(os.stat(full).st_mode)


def test_fifo_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    write_text(str(fifo), '{"a": 1}')
    reader.join(10)
    assert got == ['{"a": 1}\n']
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_symlink_is_followed_and_kept(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    check_output_path(str(link))
    write_text(str(link), "new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the file's permissions are kept


def test_dangling_symlink_directory_and_socket_are_refused(tmp_path: Path) -> None:
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere" / "x.json")
    with pytest.raises(OutputPathError, match="does not exist"):
        check_output_path(str(dangling))
    with pytest.raises(OutputPathError, match="is a directory"):
        check_output_path(str(tmp_path))
    sock_path = tmp_path / "s.sock"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(sock_path))
        with pytest.raises(OutputPathError, match="not a regular file"):
            check_output_path(str(sock_path))
    finally:
        sock.close()


def test_unwritable_directory_is_found_up_front_without_touching_the_target(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "r.json"
    target.write_text("keep")
    real_open = os.open

    def read_only_fs(path: str, flags: int, *args: object) -> int:
        if ".horsepower-probe-" in str(path):
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(outputs.os, "open", read_only_fs)
    with pytest.raises(OutputPathError, match="Read-only file system"):
        check_output_path(str(target))
    assert target.read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_read_only_file_system_refused_before_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with mounted_tmpfs(tmp_path / "ro", readonly=True) as ro:
        code = cli.main(["run", "--knob", "width=64", "--json", str(ro / "r.json")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert "Read-only file system" in err and len(err.splitlines()) == 1
    assert not (Path(os.environ["HORSEPOWER_DATA_DIR"]) / "history.db").exists()  # nothing started


def test_failed_replace_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "r.json"
    target.write_text("old")

    def disk_full(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(outputs.os, "replace", disk_full)
    with pytest.raises(OutputWriteError, match=f"cannot write {target}: No space left on device"):
        write_text(str(target), "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_export_writes_through_devices_and_symlinks(tmp_path: Path) -> None:
    from profiler.history import HistoryStore
    from profiler.reports.export import export_run
    from tests.helpers import fabricated

    with HistoryStore(tmp_path / "db") as store:
        store.store_result(fabricated("e1").to_dict())
        run = store.get("e1")
    assert run is not None
    null = make_char_device(tmp_path / "null", 1, 3)
    export_run(run, "json", null)
    assert stat.S_ISCHR(os.stat(null).st_mode)
    target = tmp_path / "t.csv"
    target.write_text("")
    link = tmp_path / "l.csv"
    link.symlink_to(target)
    export_run(run, "csv", link)
    assert link.is_symlink() and target.read_text().startswith("t_s,step")


@pytest.mark.slow
def test_json_dash_keeps_stdout_for_json_only(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """Anything a model prints while it is checked and trained (Python or native, on fd 1, in
    the check process and the training worker) goes to stderr: stdout carries the JSON only."""
    model = tmp_path / "noisy.py"
    model.write_text(
        "import os\n"
        "import torch\n"
        "from torch import nn\n\n"
        "def build():\n"
        "    print('python noise on stdout', flush=True)\n"
        "    os.write(1, b'native noise on fd 1\\n')\n"
        "    def make_batch(device, batch_size):\n"
        "        x = torch.randn(batch_size, 8, device=device)\n"
        "        return x, (x[:, 0] > 0).long()\n"
        "    return {'model': nn.Linear(8, 2), 'make_batch': make_batch, 'loss': nn.functional.cross_entropy}\n")
    code = cli.main(["run", "--model", f"{model}:build", "--threads", "1", "--steps", "3",
                     "--json", "-", "--no-history"])
    out, err = capfd.readouterr()
    assert code == 0, err
    assert json.loads(out)["status"] == "completed"
    assert "python noise" in err and "native noise" in err


TINY = ["--knob", "width=64", "--knob", "depth=1", "--batch-size", "32", "--threads", "1", "--duration", "0.3"]


def test_late_write_failure_says_where_the_run_is_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    full = make_char_device(tmp_path / "full", 1, 7)
    assert cli.main(["run", *TINY, "--json", str(full)]) == 1
    out, err = capsys.readouterr()
    [line] = [x for x in err.splitlines() if x.startswith("horsepower: error:")]
    assert "No space left on device" in line and "is in history as" in line
    assert "samples/s" in out  # the summary is still printed
    run_id = line.split("is in history as ")[1].split()[0]
    from profiler.history import HistoryStore

    with HistoryStore() as store:
        run = store.get(run_id)
    assert run is not None and run["status"] == "completed"
    assert stat.S_ISCHR(os.stat(full).st_mode)


def test_late_write_failure_without_history_keeps_a_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    full = make_char_device(tmp_path / "full", 1, 7)
    assert cli.main(["run", *TINY, "--json", str(full), "--no-history"]) == 1
    err = capsys.readouterr().err
    [line] = [x for x in err.splitlines() if x.startswith("horsepower: error:")]
    kept = Path(line.split("saved to ")[1].split()[0])
    try:
        assert json.loads(kept.read_text())["status"] == "completed"
    finally:
        kept.unlink()


def test_export_to_a_full_device_is_one_line_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from profiler.history import HistoryStore
    from tests.helpers import fabricated

    with HistoryStore() as store:
        store.store_result(fabricated("x1").to_dict())
    full = make_char_device(tmp_path / "full", 1, 7)
    assert cli.main(["export", "x1", "--json", str(full)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"horsepower: error: cannot write {full}: No space left on device"


def test_a_fifo_with_no_reader_never_holds_the_command(tmp_path, monkeypatch) -> None:
    import time as _time

    from profiler import outputs

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    monkeypatch.setattr(outputs, "FIFO_WAIT_S", 0.3)
    started = _time.monotonic()
    with pytest.raises(outputs.OutputWriteError, match="no process reads the FIFO"):
        outputs.write_text(str(fifo), "{}")
    assert _time.monotonic() - started < 5
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # with a reader it is written as before
    try:
        outputs.write_text(str(fifo), '{"a": 1}')
        assert os.read(reader, 100) == b'{"a": 1}\n'
    finally:
        os.close(reader)
