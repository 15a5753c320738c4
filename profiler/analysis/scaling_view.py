"""What a Scaling view shows of a scale sweep: the data, separate from any rendering.

A *scale run* is a result dict with a ``distributed`` section (``horsepower scale``, the
window's Scaling tab, or an imported multi-node ``horsepower node`` run). ``scale_groups``
sorts such runs into sweeps: runs of the same model and settings (workload, size, knobs,
precision, device kind, strategy, mode, batch, threads) that differ only in world size, in
the order they were started; a world size met again starts a new sweep (the same command
run twice is two sweeps). ``scale_report`` turns one sweep into everything the view draws:
the points (``profiler.metrics.scaling.scaling_points``), the ideal line, each world size's
per-rank time split as stacked-bar segments, the straggler and all-reduce lines, and the
caveat that CPU ranks over gloo are not GPUs over NCCL. Every figure comes from
``profiler.metrics.scaling``; the words from ``profiler.units``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from profiler import units
from profiler.metrics.comparison import model_title
from profiler.metrics.scaling import (
    SPLIT_NOISE,
    STRAGGLER_FLAG_RATIO,
    ScalingPoint,
    distributed_section,
    is_straggler,
    scaling_points,
    world_size_of,
)

if TYPE_CHECKING:
    from profiler.history import HistoryStore

#: the parts of a rank's step, bottom to top in the stacked bar
SPLIT_PARTS = ("compute", "comm", "input")
#: stored candidates ``stored_scale_groups`` reads at most (newest first)
MAX_STORED_CANDIDATES = 400

CPU_CAVEAT = (
    "CPU caveat: each rank here is a separate process with {threads} on the same machine "
    "({cores}), and the ranks exchange gradients over gloo through shared memory. That exercises "
    "the whole distributed path, but it is not what GPUs on NCCL do: there every rank owns a "
    "device and gradients cross NVLink or the network. A single-process run with every thread "
    "is this CPU's real figure."
)


def is_scale_run(run: Mapping[str, Any]) -> bool:
    """True for a result dict trained under torch.distributed (it has a distributed section)."""
    return bool(distributed_section(run))


def _spec(run: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = run.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def sweep_key(run: Mapping[str, Any]) -> tuple[Any, ...]:
    """What the runs of one sweep share: everything but the world size."""
    spec, section = _spec(run), distributed_section(run)
    mode = str(section.get("mode") or "strong")
    batch = section.get("batch_per_rank") if mode == "weak" else (section.get("global_batch") or run.get("batch_size"))
    return (str(run.get("workload") or spec.get("workload")), str(spec.get("size") or ""), str(spec.get("model") or ""),
            str(spec.get("model_hash") or ""), tuple(sorted(dict(spec.get("knobs") or {}).items())),
            str(run.get("precision") or spec.get("precision") or ""),
            str(run.get("device") or spec.get("device") or "").split(":")[0], str(section.get("strategy") or ""),
            mode, batch, spec.get("threads"), bool(spec.get("input_pipeline")))


def _started(run: Mapping[str, Any]) -> float:
    value = run.get("started_at")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    history = run.get("history")
    return float(history.get("created_at") or 0.0) if isinstance(history, Mapping) else 0.0


@dataclass(frozen=True)
class ScaleGroup:
    """One sweep: its runs by world size and a label for a picker."""

    runs: tuple[Mapping[str, Any], ...]
    label: str

    @property
    def world_sizes(self) -> list[int]:
        return [world_size_of(r) for r in self.runs]

    @property
    def run_ids(self) -> list[str]:
        return [str(r.get("run_id", "")) for r in self.runs]


def sweep_title(run: Mapping[str, Any]) -> str:
    """``mlp-S fp32 on cpu · strong DDP, global batch 256``."""
    section = distributed_section(run)
    mode = str(section.get("mode") or "strong")
    if mode == "weak":
        batch = f"batch {section.get('batch_per_rank') or units.NA} per rank"
    else:
        batch = f"global batch {section.get('global_batch') or run.get('batch_size') or units.NA}"
    device = str(run.get("device") or _spec(run).get("device") or "").split(":")[0]
    return (f"{model_title(run)} {run.get('precision') or _spec(run).get('precision') or 'fp32'} on {device} · "
            f"{mode} {str(section.get('strategy') or 'ddp').upper()}, {batch}")


def _group_label(runs: Sequence[Mapping[str, Any]]) -> str:
    sizes = ", ".join(str(world_size_of(r)) for r in runs)
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(_started(runs[0]))) if _started(runs[0]) else ""
    return " · ".join(p for p in (sweep_title(runs[0]), f"{sizes} ranks", when) if p)


def scale_groups(runs: Sequence[Mapping[str, Any]]) -> list[ScaleGroup]:
    """The sweeps among ``runs`` (result dicts; runs without a distributed section are left
    out), newest first; each sweep's runs by world size."""
    open_groups: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    done: list[list[Mapping[str, Any]]] = []
    for run in sorted((r for r in runs if is_scale_run(r)), key=_started):
        key = sweep_key(run)
        group = open_groups.get(key)
        if group is not None and world_size_of(run) in {world_size_of(r) for r in group}:
            done.append(group)
            group = None
        if group is None:
            group = open_groups[key] = []
        group.append(run)
    done.extend(open_groups.values())
    done.sort(key=lambda g: max(_started(r) for r in g), reverse=True)
    out = []
    for group in done:
        ordered = sorted(group, key=world_size_of)
        out.append(ScaleGroup(tuple(ordered), _group_label(ordered)))
    return out


def stored_scale_groups(store: HistoryStore, limit: int = MAX_STORED_CANDIDATES) -> list[ScaleGroup]:
    """The sweeps stored in history, newest first. Reads every run of more than one rank and
    the one-rank runs of the same workloads (a sweep's 1-rank point). Any thread."""
    summaries = store.list_runs()
    multi = {(s.workload, s.device.split(":")[0]) for s in summaries if s.world_size > 1}
    candidates = [s for s in summaries if (s.workload, s.device.split(":")[0]) in multi][:limit]
    runs = [r for r in (store.get(s.run_id) for s in candidates) if r is not None]
    return scale_groups(runs)


@dataclass(frozen=True)
class RankBar:
    """One rank's median step split, seconds; ``segments`` stack to the step time
    (exposed communication below zero, i.e. noise, is drawn as 0 and ``noisy`` is set)."""

    rank: int
    host: str
    device: str
    step_s: float
    input_s: float
    compute_s: float
    comm_s: float
    noisy: bool

    @property
    def segments(self) -> tuple[tuple[str, float, float], ...]:
        """(part, bottom_s, height_s) for ``SPLIT_PARTS`` in order."""
        comm = max(self.comm_s, 0.0)
        return (("compute", 0.0, self.compute_s), ("comm", self.compute_s, comm),
                ("input", self.compute_s + comm, self.input_s))

    @property
    def text(self) -> str:
        return (f"rank {self.rank} ({self.device} on {self.host}): step {units.seconds(self.step_s)} = compute "
                f"{units.seconds(self.compute_s)} + comm {units.seconds(self.comm_s)} + input "
                f"{units.seconds(self.input_s)}")


@dataclass(frozen=True)
class WorldSizeDetail:
    """What one world size's run adds to its point: per-rank bars and its lines of text."""

    world_size: int
    nodes: int
    run_id: str
    status: str
    bars: tuple[RankBar, ...]
    straggler_text: str
    straggler_flag: bool
    busbw_text: str
    split_basis: str
    warnings: tuple[str, ...]
    error: str


@dataclass(frozen=True)
class ScaleReport:
    """One sweep, ready to draw: points by world size with the ideal (linear) throughput."""

    title: str
    points: tuple[ScalingPoint, ...]
    ideal_samples_per_s: tuple[float | None, ...]
    details: tuple[WorldSizeDetail, ...]
    caveat: str

    @property
    def world_sizes(self) -> list[int]:
        return [p.world_size for p in self.points]

    def detail(self, world_size: int) -> WorldSizeDetail | None:
        return next((d for d in self.details if d.world_size == world_size), None)


def ideal_throughput(points: Sequence[ScalingPoint]) -> list[float | None]:
    """Linear scaling from the smallest world size that measured: ``X_m * N / m`` (samples/s)."""
    base = next(((p.world_size, p.samples_per_s) for p in points if p.samples_per_s), None)
    return [base[1] * p.world_size / base[0] if base else None for p in points]


def _bars(section: Mapping[str, Any]) -> tuple[RankBar, ...]:
    bars: list[RankBar] = []
    for row in section.get("ranks") or []:
        split = row.get("split") if isinstance(row, Mapping) else None
        if not isinstance(split, Mapping) or not split.get("step_s"):
            continue
        comm = float(split["comm_s"])
        bars.append(RankBar(int(row.get("rank", len(bars))), str(row.get("host") or ""), str(row.get("device") or ""),
                            float(split["step_s"]), float(split["input_s"]), float(split["compute_s"]), comm,
                            noisy=comm < -SPLIT_NOISE * float(split["step_s"])))
    return tuple(bars)


def straggler_line(section: Mapping[str, Any], world_size: int) -> tuple[str, bool]:
    """(words, flagged) for a run's slowest rank relative to the median rank."""
    if world_size < 2:
        return "one rank: nothing to wait for", False
    found = section.get("straggler")
    strag: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    ratio = strag.get("ratio_to_median")
    if ratio is None:
        return "slowest rank: n/a (no rank reported its time split)", False
    flagged = is_straggler(ratio)
    verdict = ("straggler: every other rank waits for it each step" if flagged else
               f"within the noise of a shared machine (flagged from {units.ratio(STRAGGLER_FLAG_RATIO)})")
    return (f"slowest rank {strag.get('rank')}: {units.ratio(ratio)} the median rank's compute + input, "
            f"{verdict}"), flagged


def busbw_line(section: Mapping[str, Any]) -> str:
    """The all-reduce probe in words (bus bandwidth as nccl-tests defines it)."""
    probe = section.get("allreduce") if isinstance(section.get("allreduce"), Mapping) else {}
    if probe and probe.get("time_s"):
        return (f"all-reduce of {units.nbytes(probe.get('nbytes'))} over {section.get('backend') or 'the backend'}: "
                f"{units.seconds(probe['time_s'])}, bus bandwidth {units.si(probe.get('busbw_bytes_per_s'), 'B/s')} "
                f"(algbw {units.si(probe.get('algbw_bytes_per_s'), 'B/s')})")
    reason = (probe or {}).get("reason")
    return f"all-reduce bus bandwidth: n/a ({reason})" if reason else "all-reduce bus bandwidth: n/a (not measured)"


def caveat(runs: Sequence[Mapping[str, Any]]) -> str:
    """The honest CPU caveat when any run trained CPU ranks over gloo ("" otherwise)."""
    cpu = [r for r in runs if str(distributed_section(r).get("backend") or "") == "gloo"
           or str(r.get("device") or "").startswith("cpu")]
    if not cpu:
        return ""
    threads = _spec(cpu[0]).get("threads")
    env = cpu[0].get("environment") if isinstance(cpu[0].get("environment"), Mapping) else {}
    cores = (env or {}).get("logical_cpus")
    return CPU_CAVEAT.format(
        threads=f"{threads} torch thread{'s' if threads != 1 else ''}" if threads else "torch's default threads",
        cores=f"{cores} logical CPUs" if cores else "sharing its cores")


def scale_report(runs: Sequence[Mapping[str, Any]]) -> ScaleReport:
    """Everything a Scaling view draws for ``runs`` (one sweep's result dicts, failed ones too)."""
    ordered = sorted(runs, key=world_size_of)
    points = tuple(scaling_points(ordered))
    details = []
    for run, point in zip(ordered, points, strict=True):
        section = distributed_section(run)
        text, flagged = straggler_line(section, point.world_size)
        details.append(WorldSizeDetail(
            point.world_size, point.nodes, point.run_id, point.status, _bars(section), text, flagged,
            busbw_line(section) if point.world_size > 1 or section.get("allreduce") else "",
            str(section.get("split_basis") or ""), tuple(str(w) for w in run.get("warnings") or []),
            str(run.get("error") or "")))
    return ScaleReport(sweep_title(ordered[0]) if ordered else "", points, tuple(ideal_throughput(points)),
                       tuple(details), caveat(ordered))


def point_cells(report: ScaleReport) -> list[tuple[str, ...]]:
    """The sweep table's cells, in ``POINT_HEADERS`` order."""
    return [(str(p.world_size), str(p.nodes), p.status, units.count(p.samples_per_s, 1),
             units.count(ideal, 1), units.percent(p.efficiency), units.percent(p.comm_fraction),
             units.ratio(p.straggler_ratio), units.si(p.busbw_bytes_per_s, "B/s"))
            for p, ideal in zip(report.points, report.ideal_samples_per_s, strict=True)]


POINT_HEADERS = ("ranks", "nodes", "status", "samples/s", "ideal samples/s", "efficiency", "comm share",
                 "slowest / median", "all-reduce busbw")
