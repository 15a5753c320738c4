"""``horsepower scale`` and ``horsepower node``: bad input is one line and exit 2 with nothing
started or written; a CPU sweep prints the table, writes its JSON and stores each world size."""

from __future__ import annotations

import json
import socket

import pytest

from profiler import accelerator
from profiler.cli import main
from profiler.distributed.ports import free_port

TINY = ["--workload", "mlp", "--knob", "width=64", "--knob", "depth=1", "--steps", "6", "--warmup-max-steps", "3",
        "--reference-steps", "3", "--no-peak"]


def history_ids() -> list[str]:
    from profiler.history import HistoryStore

    with HistoryStore.open() as store:
        return store.run_ids()


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("horsepower: error: ")
    return err[0]


@pytest.mark.parametrize("argv, message", [
    (["--nproc", "0"], "at least 1 rank, got 0"),
    (["--nproc", "1,2", "--batch-size", "3"], "does not divide by 2 ranks"),
    (["--nproc", "2", "--device", "tpu"], "unknown device kind"),
    (["--nproc", "1", "--workload", "nope"], "unknown workload"),
    (["--nproc", "1", "--size", "S", "--knob", "width=-1"], "must be a positive integer"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, argv, message):
    out = tmp_path / "scale.json"
    assert main(["scale", *TINY, *argv, "--json", str(out)]) == 2
    assert message in one_error_line(capsys)
    assert not out.exists() and history_ids() == []


def test_a_gpu_run_needs_one_device_per_rank(capsys, monkeypatch):
    monkeypatch.setattr(accelerator, "device_count", lambda kind: 1 if kind == "cuda" else 0)
    assert main(["scale", *TINY, "--device", "cuda", "--nproc", "1,2"]) == 2
    assert "2 ranks need 2 cuda devices (one per rank); this machine has 1" in one_error_line(capsys)


def test_cuda_on_a_machine_without_it_says_why(capsys):
    if accelerator.device_count("cuda"):
        pytest.skip("this machine has a GPU")
    assert main(["scale", *TINY, "--device", "cuda", "--nproc", "1"]) == 2
    assert "cannot run on cuda" in one_error_line(capsys)


def test_a_port_in_use_is_refused_before_anything_starts(capsys):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert main(["scale", *TINY, "--nproc", "1", "--port", str(port)]) == 2
    assert f"port {port} on 127.0.0.1 is in use" in one_error_line(capsys)
    assert history_ids() == []


def test_node_refuses_an_unreachable_rendezvous_within_its_timeout(capsys, tmp_path):
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): never a host here
    assert main(["node", *TINY, "--nnodes", "2", "--rdzv-endpoint", "192.0.2.1:29400",
                 "--rdzv-timeout", "1", "--out", str(tmp_path / "r.json")]) == 2
    assert "cannot reach the rendezvous at 192.0.2.1:29400 within 1 s" in one_error_line(capsys)
    assert not (tmp_path / "r.json").exists()


def test_node_refuses_a_port_in_use_on_a_single_node_and_answers_to_its_older_name_worker(capsys):
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("0.0.0.0", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert main(["node", *TINY, "--nnodes", "1", "--rdzv-endpoint", f"127.0.0.1:{port}"]) == 2
        assert "is in use" in one_error_line(capsys)
        assert main(["worker", *TINY, "--nnodes", "1", "--rdzv-endpoint", f"127.0.0.1:{port}"]) == 2
    assert "is in use" in one_error_line(capsys)


@pytest.mark.slow
def test_a_cpu_sweep_prints_stores_and_writes_json(capsys, tmp_path):
    out = tmp_path / "scale.json"
    assert main(["scale", *TINY, "--batch-size", "32", "--nproc", "1,2", "--port", str(free_port()),
                 "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "efficiency" in text and "rank 1 (cpu on" in text and "busbw" in text
    data = json.loads(out.read_text())
    assert [p["world_size"] for p in data["points"]] == [1, 2]
    assert data["points"][0]["efficiency"] == pytest.approx(1.0)
    assert 0 < data["points"][1]["efficiency"]
    ids = history_ids()
    assert sorted(ids) == sorted(r["run_id"] for r in data["runs"])
    assert main(["history", "--ranks", "2"]) == 0
    assert "x2 ranks" in capsys.readouterr().out
