"""Scaling figures over world sizes: efficiency, the per-rank time split, stragglers, bus bandwidth.

One definition for every view (``horsepower scale``, the history, a future Scaling tab):

- scaling efficiency ``E(N) = X_N / (N * X_1)`` with ``X`` the global samples/s; when the
  sweep has no 1-rank point the smallest world size ``m`` is the base:
  ``E(N) = (X_N / N) / (X_m / m)``.
- the split of one rank's step time into input, compute and (exposed) communication; the
  three add up to the step time by construction: ``comm = step - input - compute``, where
  ``compute`` is the same step measured without gradient synchronisation on the same rank.
  ``comm`` therefore includes the time a fast rank waits for a slow one.
- stragglers: the slowest rank's busy time (input + compute) over the median rank's.
- all-reduce bus bandwidth as nccl-tests defines it (doc/PERFORMANCE.md of
  https://github.com/NVIDIA/nccl-tests): ``algbw = bytes / time`` and
  ``busbw = algbw * 2 (n - 1) / n``; a single rank moves nothing, so its bus bandwidth is None.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

#: rank step-time fractions below this are noise: a negative exposed communication of a few
#: percent means the reference (no-sync) steps ran slower than the synchronised ones
SPLIT_NOISE = 0.05
#: a slowest rank this much busier than the median rank is flagged as a straggler; below it the
#: difference is within the run-to-run noise of shared machines (5-25%, FIELD_NOTES.md)
STRAGGLER_FLAG_RATIO = 1.15


def scaling_efficiency(samples_per_s: float | None, world_size: int,
                       base_samples_per_s: float | None, base_world_size: int = 1) -> float | None:
    """``(X_N / N) / (X_base / base)``: 1.0 is perfect linear scaling; None when n/a."""
    if not samples_per_s or not base_samples_per_s or world_size < 1 or base_world_size < 1:
        return None
    return (samples_per_s / world_size) / (base_samples_per_s / base_world_size)


def allreduce_bus_factor(world_size: int) -> float:
    """nccl-tests' all-reduce correction ``2 (n - 1) / n`` (0 for one rank)."""
    if world_size < 1:
        raise ValueError(f"world size must be at least 1, got {world_size}")
    return 2.0 * (world_size - 1) / world_size


def allreduce_bandwidth(nbytes: int, seconds: float, world_size: int) -> tuple[float | None, float | None]:
    """(algbw, busbw) in bytes/s of one all-reduce of ``nbytes`` taking ``seconds``.

    busbw is None for one rank (nothing crosses a link)."""
    if nbytes <= 0 or not seconds > 0:
        return None, None
    algbw = nbytes / seconds
    return algbw, (algbw * allreduce_bus_factor(world_size) if world_size > 1 else None)


@dataclass(frozen=True)
class TimeSplit:
    """One rank's median step, in seconds: ``input_s + compute_s + comm_s == step_s``."""

    step_s: float
    input_s: float
    compute_s: float
    comm_s: float

    @property
    def comm_fraction(self) -> float:
        return self.comm_s / self.step_s if self.step_s > 0 else 0.0

    @property
    def noisy(self) -> bool:
        """True when the exposed communication came out clearly negative (timing noise)."""
        return self.comm_s < -SPLIT_NOISE * self.step_s

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def time_split(step_s: float, input_s: float, compute_total_s: float, compute_input_s: float = 0.0) -> TimeSplit:
    """The split of a synchronised step ``step_s`` whose input wait was ``input_s``, given the
    no-sync reference step ``compute_total_s`` (of which ``compute_input_s`` was input)."""
    compute = max(compute_total_s - compute_input_s, 0.0)
    return TimeSplit(step_s, input_s, compute, step_s - input_s - compute)


@dataclass(frozen=True)
class Straggler:
    """The slowest rank by busy time, and how much slower it is than the median rank."""

    rank: int
    busy_s: float
    median_busy_s: float

    @property
    def ratio_to_median(self) -> float | None:
        return self.busy_s / self.median_busy_s if self.median_busy_s > 0 else None

    def to_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, "busy_s": self.busy_s, "median_busy_s": self.median_busy_s,
                "ratio_to_median": self.ratio_to_median}


def is_straggler(ratio_to_median: float | None) -> bool:
    """True when a slowest rank's busy time over the median's is past ``STRAGGLER_FLAG_RATIO``."""
    return ratio_to_median is not None and ratio_to_median >= STRAGGLER_FLAG_RATIO


def straggler(busy_s_by_rank: Mapping[int, float]) -> Straggler | None:
    """The slowest rank of ``{rank: input + compute seconds per step}``; None when empty."""
    if not busy_s_by_rank:
        return None
    rank = max(busy_s_by_rank, key=lambda r: (busy_s_by_rank[r], -r))
    return Straggler(rank, busy_s_by_rank[rank], statistics.median(busy_s_by_rank.values()))


@dataclass(frozen=True)
class ScalingPoint:
    """One world size of a sweep, from its result dict; None figures are n/a."""

    run_id: str
    world_size: int
    nodes: int
    status: str
    samples_per_s: float | None
    per_rank_samples_per_s: float | None
    efficiency: float | None
    comm_fraction: float | None  # median over ranks of exposed communication / step time
    straggler_ratio: float | None
    busbw_bytes_per_s: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def distributed_section(run: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``distributed`` part of a result dict ({} for a single-process run)."""
    section = run.get("distributed")
    return section if isinstance(section, Mapping) else {}


def world_size_of(run: Mapping[str, Any]) -> int:
    """Ranks of a result dict: its distributed section, its spec, else 1."""
    section = distributed_section(run)
    spec = run.get("spec") if isinstance(run.get("spec"), Mapping) else {}
    return int(section.get("world_size") or (spec or {}).get("world_size") or 1)


def _median_comm_fraction(section: Mapping[str, Any]) -> float | None:
    fractions = []
    for rank in section.get("ranks") or []:
        split = rank.get("split") if isinstance(rank, Mapping) else None
        if isinstance(split, Mapping) and split.get("step_s"):
            fractions.append(float(split["comm_s"]) / float(split["step_s"]))
    return statistics.median(fractions) if fractions else None


def scaling_points(runs: Sequence[Mapping[str, Any]]) -> list[ScalingPoint]:
    """Points of a sweep (result dicts of one workload at several world sizes), by world size;
    efficiency is relative to the smallest world size that measured a throughput."""
    ordered = sorted(runs, key=world_size_of)
    base = next(((world_size_of(r), r.get("samples_per_s")) for r in ordered if r.get("samples_per_s")), None)
    points = []
    for run in ordered:
        n = world_size_of(run)
        section = distributed_section(run)
        sps = run.get("samples_per_s")
        strag = section.get("straggler") if isinstance(section.get("straggler"), Mapping) else {}
        probe = section.get("allreduce") if isinstance(section.get("allreduce"), Mapping) else {}
        points.append(ScalingPoint(
            run_id=str(run.get("run_id", "")), world_size=n, nodes=int(section.get("nodes") or 1),
            status=str(run.get("status", "")), samples_per_s=sps,
            per_rank_samples_per_s=sps / n if sps else None,
            efficiency=scaling_efficiency(sps, n, base[1], base[0]) if base else None,
            comm_fraction=_median_comm_fraction(section),
            straggler_ratio=(strag or {}).get("ratio_to_median"),
            busbw_bytes_per_s=(probe or {}).get("busbw_bytes_per_s"),
        ))
    return points
