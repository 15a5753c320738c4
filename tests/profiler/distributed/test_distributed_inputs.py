"""Inputs of distributed runs, checked before anything starts: world sizes, batches, the
environment a launcher sets, endpoints and ports, and how a failed launch is explained."""

from __future__ import annotations

import argparse
import socket
import time

import pytest

from profiler.distributed.config import DistConfig, DistConfigError, add_arguments, from_args
from profiler.distributed.env import RankEnvError, backend_for, node_devices, rank_device, rank_env
from profiler.distributed.failures import explain
from profiler.distributed.faults import configured_fault
from profiler.distributed.ports import (
    EndpointError,
    check_port_free,
    free_port,
    parse_endpoint,
    wait_reachable,
)
from profiler.distributed.sweep import parse_nprocs


@pytest.mark.parametrize("text, message", [
    ("0", "at least 1 rank, got 0"), ("1,-2", "at least 1 rank, got -2"), ("1,1", "listed twice"),
    ("one", "comma-separated"), ("", "comma-separated"),
])
def test_bad_world_sizes(text, message):
    with pytest.raises(DistConfigError, match=message):
        parse_nprocs(text)


def test_world_sizes_are_sorted():
    assert parse_nprocs("4, 1,2") == [1, 2, 4]


def test_strong_mode_keeps_the_global_batch_and_must_divide():
    config = DistConfig(workload="mlp", batch_size=96)
    assert config.batches(1, 256) == (96, 96)
    assert config.batches(4, 256) == (96, 24)
    with pytest.raises(DistConfigError, match="does not divide by 5 ranks"):
        config.batches(5, 256)
    assert DistConfig(workload="mlp").batches(2, 256) == (256, 128)  # the preset is the global batch


def test_weak_mode_keeps_the_batch_per_rank():
    config = DistConfig(workload="mlp", batch_size=7, mode="weak")
    assert config.batches(3, 256) == (21, 7)


def test_config_round_trips_through_the_worker_flags():
    config = DistConfig(workload="gpt", device="cuda", size="M", batch_size=32, mode="weak", strategy="fsdp",
                        knobs={"seq_len": 64}, precision="bf16", steps=12, threads=2, probe_bytes=1 << 20,
                        measure_peak=False, timeout_s=42.5, name="sweep a", input_pipeline=True)
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    again = from_args(parser.parse_args(config.to_argv()))
    assert again == config.replace(duration_s=None)  # a step count wins over a duration


@pytest.mark.parametrize("changes, message", [
    ({"device": "tpu"}, "unknown device kind"), ({"mode": "half"}, "unknown mode"),
    ({"strategy": "zero"}, "unknown strategy"), ({"batch_size": 0}, "batch size must be a positive"),
    ({"steps": None, "duration_s": None}, "never ends"), ({"timeout_s": 0}, "timeout"),
])
def test_bad_configs(changes, message):
    with pytest.raises(DistConfigError, match=message):
        DistConfig(workload="mlp", **changes).check()


def test_rank_env_reads_the_launcher_variables():
    env = rank_env({"RANK": "3", "LOCAL_RANK": "1", "WORLD_SIZE": "4", "LOCAL_WORLD_SIZE": "2",
                    "MASTER_ADDR": "node0", "MASTER_PORT": "29500", "GROUP_RANK": "1"})
    assert (env.rank, env.local_rank, env.world_size, env.local_world_size, env.node) == (3, 1, 4, 2, 1)
    assert (env.master_addr, env.master_port) == ("node0", 29500)
    assert not env.is_node_leader
    ray_like = rank_env({"RANK": "0", "WORLD_SIZE": "2", "MASTER_ADDR": "10.0.0.1", "MASTER_PORT": "1234"})
    assert ray_like.local_rank == 0 and ray_like.node is None and ray_like.is_node_leader


@pytest.mark.parametrize("env, message", [
    ({}, "not started by a distributed launcher"),
    ({"RANK": "2", "WORLD_SIZE": "2", "MASTER_ADDR": "a", "MASTER_PORT": "1"}, "not within WORLD_SIZE"),
    ({"RANK": "x", "WORLD_SIZE": "2", "MASTER_ADDR": "a", "MASTER_PORT": "1"}, "must be an integer"),
])
def test_rank_env_rejects_what_is_not_a_rank(env, message):
    with pytest.raises(RankEnvError, match=message):
        rank_env(env)


def test_devices_and_backends_per_kind():
    assert rank_device("cuda", 3) == "cuda:3" and rank_device("cpu", 3) == "cpu"
    assert node_devices("cuda", 2) == ["cuda:0", "cuda:1"] and node_devices("cpu", 8) == ["cpu"]
    assert backend_for("cuda") == "nccl" and backend_for("cpu") == "gloo"
    with pytest.raises(RankEnvError):
        backend_for("fpga")


def test_endpoints():
    assert parse_endpoint("node0:29400") == ("node0", 29400)
    assert parse_endpoint("node0") == ("node0", 29400)
    assert parse_endpoint("[::1]:5") == ("::1", 5)
    for bad in ("", "node0:0", "node0:99999", ":12", "[::1"):
        with pytest.raises(EndpointError):
            parse_endpoint(bad)


def test_a_port_in_use_is_one_clear_line():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(EndpointError, match=f"port {port} on 127.0.0.1 is in use"):
            check_port_free("127.0.0.1", port)
    check_port_free("127.0.0.1", free_port())


def test_an_unreachable_rendezvous_fails_within_its_timeout():
    port = free_port()  # nothing listens there
    start = time.monotonic()
    with pytest.raises(EndpointError, match="cannot reach the rendezvous"):
        wait_reachable("127.0.0.1", port, timeout_s=0.6, poll_s=0.2)
    assert time.monotonic() - start < 3.0


def test_faults_parse():
    assert configured_fault({}) is None
    fault = configured_fault({"HORSEPOWER_DIST_FAULT": "kill:1:3"})
    assert fault is not None and (fault.kind, fault.rank, fault.step) == ("kill", 1, 3)
    with pytest.raises(ValueError):
        configured_fault({"HORSEPOWER_DIST_FAULT": "explode:1"})


def test_the_killed_rank_is_blamed_not_the_peers_it_broke():
    agent = {"failures": [
        {"rank": 0, "pid": 10, "exitcode": 1, "signal": None, "message": "", "timestamp": 5},
        {"rank": 1, "pid": 11, "exitcode": -9, "signal": "SIGKILL", "message": "", "timestamp": 5},
    ]}
    statuses = [{"rank": 0, "time": 1.0, "error": "RuntimeError: Connection reset by peer"}]
    assert explain(agent, statuses) == (1, "rank 1 (pid 11) was killed by SIGKILL")


def test_the_earliest_rank_failure_is_the_cause():
    statuses = [{"rank": 0, "time": 2.0, "error": "RuntimeError: Connection closed"},
                {"rank": 2, "time": 1.0, "error": "InjectedRankFault: injected"}]
    agent = {"failures": [{"rank": r, "pid": r, "exitcode": 1, "signal": None, "timestamp": 0} for r in (0, 2)]}
    assert explain(agent, statuses) == (2, "rank 2 failed: InjectedRankFault: injected")


def test_rendezvous_and_deadline_failures_blame_no_rank():
    rank, why = explain({"failures": [], "error": "RendezvousTimeoutError: timed out"}, [])
    assert rank is None and "rendezvous did not complete" in why
    rank, why = explain({}, [], timed_out=True, deadline_s=30)
    assert rank is None and "within 30 s" in why
    assert explain({}, [], stopped=True)[1].startswith("stopped")
