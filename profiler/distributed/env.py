"""Where a rank stands: the standard environment every launcher sets, and its device and backend.

``torchrun`` (``torch.distributed.run``), Ray Train's ``TorchTrainer`` and Kubernetes training
operators all describe a rank through ``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``,
``LOCAL_WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT``; torchrun adds ``GROUP_RANK`` (the
node's index). Nothing here starts a process or opens a socket.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass

#: process-group backend per device kind (torch.distributed.Backend.default_device_backend_map,
#: plus the vendor backends that their plugins register)
BACKENDS = {"cpu": "gloo", "cuda": "nccl", "xpu": "xccl", "hpu": "hccl", "npu": "hccl"}
REQUIRED = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


class RankEnvError(RuntimeError):
    """The environment does not describe a rank; the message says what is missing."""


@dataclass(frozen=True)
class RankEnv:
    """One rank's place in the job. ``node`` is torchrun's GROUP_RANK (None elsewhere)."""

    rank: int
    local_rank: int
    world_size: int
    local_world_size: int
    master_addr: str
    master_port: int
    node: int | None
    host: str
    #: the index of this rank's device when it is not LOCAL_RANK (a launcher that shows each
    #: process one GPU, as Ray Train can, makes it 0 on every rank)
    device_index: int | None = None

    @property
    def device_slot(self) -> int:
        return self.local_rank if self.device_index is None else self.device_index

    @property
    def is_node_leader(self) -> bool:
        """True on each node's local rank 0: the one rank that samples the node's energy."""
        return self.local_rank == 0


def _int(env: Mapping[str, str], name: str, default: int | None = None) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        if default is None:
            raise RankEnvError(f"{name} is not set")
        return default
    try:
        return int(raw)
    except ValueError:
        raise RankEnvError(f"{name} must be an integer, got {raw!r}") from None


def rank_env(env: Mapping[str, str] | None = None) -> RankEnv:
    """The rank described by ``env`` (default ``os.environ``); RankEnvError when it is not one."""
    env = os.environ if env is None else env
    missing = [name for name in REQUIRED if not env.get(name)]
    if missing:
        raise RankEnvError(
            f"not started by a distributed launcher: {', '.join(missing)} not set "
            "(start it with torchrun / python -m torch.distributed.run, or `horsepower scale`)"
        )
    rank, world = _int(env, "RANK"), _int(env, "WORLD_SIZE")
    local_rank = _int(env, "LOCAL_RANK", 0)
    local_world = _int(env, "LOCAL_WORLD_SIZE", world)
    if world < 1 or not 0 <= rank < world:
        raise RankEnvError(f"RANK={rank} is not within WORLD_SIZE={world}")
    if not 0 <= local_rank < local_world:
        raise RankEnvError(f"LOCAL_RANK={local_rank} is not within LOCAL_WORLD_SIZE={local_world}")
    node = _int(env, "GROUP_RANK", -1)
    return RankEnv(rank, local_rank, world, local_world, str(env["MASTER_ADDR"]), _int(env, "MASTER_PORT"),
                   None if node < 0 else node, socket.gethostname())


def rank_device(kind: str, local_rank: int) -> str:
    """The device a rank trains on: ``cuda:<local_rank>``; CPU ranks share ``cpu``; MPS has one."""
    return kind if kind in ("cpu", "mps") else f"{kind}:{local_rank}"


def node_devices(kind: str, local_world_size: int) -> list[str]:
    """Every device the ranks of one node train on (for its energy meter)."""
    return [kind] if kind in ("cpu", "mps") else [f"{kind}:{i}" for i in range(local_world_size)]


def backend_for(kind: str) -> str:
    """The process-group backend for ``kind``: NCCL on NVIDIA/AMD GPUs, gloo on the CPU."""
    try:
        return BACKENDS[kind]
    except KeyError:
        raise RankEnvError(f"no collective backend known for device kind {kind!r}") from None
