"""The outcome of one run: raw measurements plus summaries derived on demand."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from profiler.metrics import keys
from profiler.metrics.contention import Contention, contention_of_dict
from profiler.metrics.cpu_share import CpuShares, cpu_shares
from profiler.metrics.figures import Figures, figures, tokens_per_s
from profiler.metrics.flop_coverage import StepFlops
from profiler.metrics.phases import PhaseRecord, phase_summary
from profiler.metrics.quality import partial_reason
from profiler.metrics.verdict import Verdict, verdict
from profiler.results.spec import RunSpec
from profiler.results.stats import StepTimeSummary, summarize

#: version of ``RunResult.to_dict``'s layout; 2: telemetry keys are ``<source>.<reading>``;
#: 3: ``peak_flops_per_s`` is the hardware peak (ISA table / FMA microbenchmark / datasheet) and
#: the measured GEMM is ``ceiling_flops_per_s`` (schema 1/2's ``peak_flops_per_s`` was an
#: in-process torch.mm probe, i.e. a ceiling; its ``datasheet_peak_flops_per_s`` the peak);
#: ``spec.world_size`` and the ``distributed`` section of a multi-rank run
SCHEMA = 3
#: keys of schema 1/2 results that ``from_dict`` rewrites
LEGACY_KEYS = ("datasheet_peak_flops_per_s", "datasheet_source", "mfu_datasheet")


class RunState:
    """Run states, in the order a healthy run passes through them."""

    PENDING = "pending"
    PREPARING = "preparing"  # building model, probing peak, compiling
    WARMING = "warming"
    MEASURING = "measuring"
    COMPLETED = "completed"
    STOPPED = "stopped"  # cancelled by the user; what was measured is kept
    FAILED = "failed"
    OOM = "oom"
    INTERRUPTED = "interrupted"  # found "running" in history after a crash

    FINAL = frozenset({COMPLETED, STOPPED, FAILED, OOM, INTERRUPTED})
    #: ended without a usable measurement of the whole window
    UNSUCCESSFUL = frozenset({FAILED, OOM, INTERRUPTED})


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


@dataclass
class RunResult:
    """Raw, measured facts of a run. Derived figures are properties, never stored twice.

    ``step_times_s`` holds only the timed window (after warm-up), each synchronized.
    ``telemetry`` maps a reading's key (``profiler.metrics.keys``: ``host.cpu_util_percent``,
    ``cuda:0.power_w``) to ``{"mean": x, "max": y}`` over the timed window; n/a readings have
    ``None`` for both. ``error`` is one line; ``error_details`` the full traceback (or a dead
    worker's stack dump): for a user's model, their code's, to be shown in a details box.
    ``sample_unit`` names a sample ("sequences", "images"); ``tokens_per_sample`` is set for
    sequence models (tokens/s = samples/s x tokens per sample).

    ``peak_flops_per_s`` is the hardware's peak for the run's dtype (the MFU denominator),
    ``peak_source`` how it was found ("ISA table", "FMA microbenchmark", "assumed",
    "datasheet") and ``peak_inputs`` what from (cores, FLOP/cycle, clock and how it was
    measured, source). ``ceiling_flops_per_s`` is the best GEMM measured here (``ceiling_source``
    in words, ``ceiling_inputs`` the measurement).

    A distributed run (``profiler.distributed``) is one result: ``samples_per_step`` is the
    global batch, ``step_times_s`` the steps of the rank whose timed window was longest, and
    ``distributed`` holds the world size, nodes and per-rank figures (None for one process).
    """

    spec: RunSpec
    run_id: str = field(default_factory=new_run_id)
    status: str = RunState.PENDING
    environment: dict[str, Any] = field(default_factory=dict)
    device_info: dict[str, Any] = field(default_factory=dict)
    started_at: float = field(default_factory=time.time)
    ended_at: float | None = None
    batch_size: int = 0
    samples_per_step: int = 0
    params: int = 0
    flops_per_step: float | None = None
    #: what the FLOP count covers (matrix-op calls counted, ops with no formula and their calls);
    #: None: not counted, or recorded before it existed
    flop_coverage: StepFlops | None = None
    step_times_s: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    warmup_steps: int = 0
    warmup_s: float = 0.0
    compile_s: float | None = None
    peak_flops_per_s: float | None = None
    peak_source: str | None = None
    peak_inputs: dict[str, Any] = field(default_factory=dict)
    ceiling_flops_per_s: float | None = None
    ceiling_source: str | None = None
    ceiling_inputs: dict[str, Any] = field(default_factory=dict)
    energy_j: float | None = None
    input_wait_s: float | None = None  # host time spent waiting for the DataLoader (timed window)
    #: minor page faults of the training process during the timed window (None: not measured)
    minor_faults: int | None = None
    #: raw per-phase samples of the phase-sampled steps (not timed steps); None: none taken
    phase_record: PhaseRecord | None = None
    #: the torch.profiler trace recorded after the timed window (path, steps, bytes, ...)
    trace: dict[str, Any] | None = None
    telemetry: dict[str, dict[str, float | None]] = field(default_factory=dict)
    #: other processes' CPU share summarized before and inside the timed window (the sampler's
    #: ``others_cpu``: {"before": OthersStats, "window": OthersStats}); None: not sampled
    others_cpu: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    error: str | None = None
    advice: str | None = None
    distributed: dict[str, Any] | None = None
    error_details: str | None = None
    sample_unit: str = "samples"
    tokens_per_sample: int | None = None
    #: what was built, in one line (a library model's layers, width, heads, head_dim); "" if not said
    architecture: str = ""
    #: where the loss came from (``output[1]: a (logits, loss) tuple``, a selector, a train_step)
    loss_source: str = ""

    # ---- derived -------------------------------------------------------------------
    @property
    def timed_s(self) -> float:
        return float(sum(self.step_times_s))

    @property
    def summary(self) -> StepTimeSummary | None:
        return summarize(self.step_times_s)

    @property
    def figures(self) -> Figures:
        """Throughput, FLOP/s and MFU over the whole timed window (``profiler.metrics``)."""
        return figures(self.step_times_s, self.samples_per_step, self.flops_per_step,
                       self.peak_flops_per_s, self.ceiling_flops_per_s)

    @property
    def samples_per_s(self) -> float | None:
        return self.figures.samples_per_s

    @property
    def achieved_flops_per_s(self) -> float | None:
        return self.figures.flops_per_s

    @property
    def mfu(self) -> float | None:
        """Achieved FLOP/s over the hardware peak of this device and dtype."""
        return self.figures.mfu

    @property
    def mfu_ceiling(self) -> float | None:
        """Achieved FLOP/s over the best GEMM measured here."""
        return self.figures.mfu_ceiling

    @property
    def cpu_shares(self) -> CpuShares:
        """Host, this run's and other processes' share of the CPU over the timed window."""
        return cpu_shares(self.telemetry, self.environment.get("logical_cpus"))

    @property
    def contention(self) -> Contention:
        """Was the machine busy during the timed window (``profiler.metrics.contention``)."""
        return contention_of(self)

    @property
    def partial(self) -> str:
        """Why the figures cover only part of the planned window ("" when they cover all of it):
        the engine's one verdict, ``profiler.metrics.quality.partial_reason``."""
        return partial_reason({"status": self.status, "timed_steps": len(self.step_times_s),
                               "samples_per_s": self.samples_per_s, "timed_s": self.timed_s,
                               "spec": {"duration_s": self.spec.duration_s}})

    @property
    def tokens_per_s(self) -> float | None:
        return tokens_per_s(self.figures.samples_per_s, self.tokens_per_sample)

    @property
    def samples_per_j(self) -> float | None:
        if not self.energy_j or not self.step_times_s:
            return None
        return self.samples_per_step * len(self.step_times_s) / self.energy_j

    @property
    def input_wait_fraction(self) -> float | None:
        timed = self.timed_s
        return self.input_wait_s / timed if self.input_wait_s is not None and timed > 0 else None

    @property
    def phases(self) -> dict[str, Any] | None:
        """The per-phase split of the step (``profiler.metrics.phases.phase_summary``)."""
        return phase_summary(self.phase_record, self.step_times_s)

    def verdict(self, phases: dict[str, Any] | None = None) -> Verdict | None:
        """What limits this run, from its phase split (``profiler.metrics.verdict``)."""
        spec = self.spec
        return verdict(self.phases if phases is None else phases, spec.device, spec.input_pipeline,
                       spec.loader_workers, spec.pin_memory)

    @property
    def name(self) -> str:
        return self.spec.title

    # ---- serialisation -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; the keys documented for ``horsepower run --json``."""
        summary = self.summary
        figs = self.figures
        shares = self.cpu_shares
        contention = self.contention
        phases = self.phases
        run_verdict = self.verdict(phases)
        step_time = (
            summary.to_dict()
            if summary
            else {"n": 0, "median": None, "mean": None, "p5": None, "p95": None}
        )
        return {
            "schema": SCHEMA,
            "run_id": self.run_id,
            "name": self.name,
            "status": self.status,
            "device": self.spec.device,
            "device_info": self.device_info,
            "workload": self.spec.workload,
            "size": self.spec.size,
            "precision": self.spec.precision,
            "batch_size": self.batch_size,
            "samples_per_step": self.samples_per_step,
            "params": self.params,
            "flops_per_step": self.flops_per_step,
            "flop_coverage": self.flop_coverage.to_dict() if self.flop_coverage else None,
            "samples_per_s": figs.samples_per_s,
            "sample_unit": self.sample_unit,
            "tokens_per_sample": self.tokens_per_sample,
            "tokens_per_s": tokens_per_s(figs.samples_per_s, self.tokens_per_sample),
            "architecture": self.architecture,
            "loss_source": self.loss_source,
            "achieved_flops_per_s": figs.flops_per_s,
            "peak_flops_per_s": self.peak_flops_per_s,
            "peak_source": self.peak_source,
            "peak_inputs": self.peak_inputs,
            "mfu": figs.mfu,
            "ceiling_flops_per_s": self.ceiling_flops_per_s,
            "ceiling_source": self.ceiling_source,
            "ceiling_inputs": self.ceiling_inputs,
            "mfu_ceiling": figs.mfu_ceiling,
            "host_cpu_percent": shares.host_percent,
            "run_cpu_percent": shares.run_percent,
            "other_cpu_percent": shares.others_percent,
            "others_cpu": self.others_cpu,
            "contended": contention.contended,
            "contention": contention.to_dict(),
            "energy_j": self.energy_j,
            "input_wait_s": self.input_wait_s,
            "input_wait_fraction": self.input_wait_fraction,
            "minor_faults": self.minor_faults,
            "phases": phases,
            "verdict": run_verdict.to_dict() if run_verdict else None,
            "trace": dict(self.trace) if self.trace else None,
            "samples_per_j": self.samples_per_j,
            "step_time_s": step_time,
            "step_times_s": list(self.step_times_s),
            "losses": list(self.losses),
            "loss_first": self.losses[0] if self.losses else None,
            "loss_last": self.losses[-1] if self.losses else None,
            "timed_steps": len(self.step_times_s),
            "timed_s": figs.window_s,
            "warmup_steps": self.warmup_steps,
            "warmup_s": self.warmup_s,
            "compile_s": self.compile_s,
            "telemetry": self.telemetry,
            "warnings": list(self.warnings),
            "notices": list(self.notices),
            "error": self.error,
            "error_details": self.error_details,
            "advice": self.advice,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "spec": self.spec.to_dict(),
            "environment": self.environment,
            "distributed": self.distributed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        """Rebuild a result from ``to_dict`` output (derived keys are ignored). Older schemas are
        migrated: telemetry keys of schema 1 are rewritten to the current scheme, the peaks of
        schema 1/2 are renamed (see ``SCHEMA``), a result without ``phases`` or ``trace``, as
        written before they existed, has None for them, and results before schema 3 ran on one rank."""
        result = cls(spec=RunSpec.from_dict(dict(data["spec"])), run_id=str(data["run_id"]))
        for key in (
            "status", "environment", "device_info", "started_at", "ended_at", "batch_size",
            "samples_per_step", "params", "flops_per_step", "step_times_s", "losses",
            "warmup_steps", "warmup_s", "compile_s", "peak_flops_per_s", "peak_source", "peak_inputs",
            "ceiling_flops_per_s", "ceiling_source", "ceiling_inputs", "energy_j", "input_wait_s", "minor_faults",
            "telemetry",
            "warnings", "notices", "error", "advice", "distributed", "error_details", "sample_unit",
            "tokens_per_sample", "others_cpu", "architecture", "loss_source",
        ):
            if key in data:
                setattr(result, key, data[key])
        schema = int(data.get("schema", 1))
        if schema < 3:
            _migrate_peaks(result, data, schema)
        result.telemetry = keys.normalize(result.telemetry, result.spec.device)
        if data.get("phases"):
            result.phase_record = PhaseRecord.from_dict(data["phases"])
        if data.get("trace"):
            result.trace = dict(data["trace"])
        if isinstance(data.get("flop_coverage"), dict):
            result.flop_coverage = StepFlops.from_dict(data["flop_coverage"])
        return result


class UnreadableResult(ValueError):
    """A stored or imported result dict no ``RunResult`` can be rebuilt from (a field from a
    newer Horsepower, a missing spec); the message is the one line that says why."""


def read_result(data: Mapping[str, Any]) -> RunResult:
    """``RunResult.from_dict`` of a result dict at the JSON/SQLite edge (``HistoryStore.get``,
    an imported file); ``UnreadableResult`` when it cannot be rebuilt."""
    try:
        return RunResult.from_dict(dict(data))
    except (KeyError, TypeError, ValueError) as exc:
        raise UnreadableResult(str(exc)) from exc


def contention_of(result: RunResult) -> Contention:
    """THE contention verdict of a run (``profiler.metrics.contention``): from the sampler's raw
    ``others_cpu`` record (else, for a result stored before it existed, the window mean in its
    host telemetry), judged against ``CONTENDED_OTHERS_PERCENT``; with the load, the CPU count
    and the clock. Call this; never re-derive it."""
    return contention_of_dict({"others_cpu": result.others_cpu, "telemetry": result.telemetry,
                               "environment": result.environment, "device": result.spec.device,
                               "peak_inputs": result.peak_inputs})


def _migrate_peaks(result: RunResult, data: dict[str, Any], schema: int) -> None:
    """Schema 1/2: ``peak_flops_per_s`` was an in-process torch.mm probe (a measured ceiling, not
    the hardware's peak) and ``datasheet_peak_flops_per_s`` the datasheet peak (accelerators)."""
    probe, probe_source = data.get("peak_flops_per_s"), data.get("peak_source")
    result.ceiling_flops_per_s = probe
    result.ceiling_source = (f"in-process torch.mm probe (result schema {schema}): {probe_source}"
                             if probe_source else f"in-process torch.mm probe (result schema {schema})")
    result.ceiling_inputs = {"migrated_from_schema": schema, "backend": "torch.mm", "in_process": True}
    sheet = data.get("datasheet_peak_flops_per_s")
    result.peak_flops_per_s = sheet
    result.peak_source = "datasheet" if sheet else None
    result.peak_inputs = ({"source": data.get("datasheet_source"), "migrated_from_schema": schema} if sheet
                          else {"migrated_from_schema": schema,
                                "reason": "recorded before hardware peaks: no hardware peak known"})
