"""The frozen description of one measured run, and the environment it ran in."""

from __future__ import annotations

import dataclasses
import os
import platform
import socket
from dataclasses import dataclass, field
from typing import Any

from profiler.metrics.naming import auto_name
from profiler.results.model_ref import USER_WORKLOAD, model_label

PRECISIONS = ("fp32", "tf32", "bf16", "fp16")


class SpecError(ValueError):
    """A run spec that cannot run; the message names the valid choices.

    ``details`` holds the full traceback when the cause is an error in a user's own model
    code (their bug to fix: a window shows it in a details box), else "".
    """

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details

SIZES = ("S", "M", "L")
#: longest run name, everywhere (``--name``, the window, sweeps, import, rename)
MAX_NAME_CHARS = 200
#: latest time (s since 1970) a stored run may carry: 3000-01-01, which ``time.localtime``
#: accepts on every platform (Windows stops at 3000-12-31)
MAX_EPOCH_S = 32_503_680_000.0
#: longest per-sample loader delay a run may ask for (ms)
MAX_LOADER_DELAY_MS = 1000.0
#: longest timed window a run may ask for (30 days); anything longer is a typo or ``inf``
MAX_DURATION_S = 30 * 86_400.0


@dataclass(frozen=True)
class RunSpec:
    """Everything that decides what a run measures. Frozen: a spec never changes mid-run.

    ``knobs`` holds workload-specific sizes (``width``, ``depth``, ``seq_len``, ...) that
    override the size preset (a built-in's are integers; a user model's may be any simple
    type its factory declares: ``dropout=0.1``, ``bias=False``, ``rnn_type="GRU"``).
    ``duration_s`` and ``steps`` bound the timed window; when both are set the first reached
    ends it. ``threads`` is the CPU thread count
    (None: torch's default, all cores); in a distributed run, per rank. ``phase_every`` is how
    often a timed step is replaced by a phase-sampled step (``profiler.runner.phases``; 0: never).
    ``world_size`` is the number of ranks (processes) that trained together
    (``profiler.distributed``); with more than one, ``batch_size`` is the global batch over all ranks.

    A user's own model has ``workload`` ``"user"``, ``model`` its reference
    (``profiler.results.model_ref``: a file, module or library name) and ``model_hash`` the
    sha256 of its file ("" for a library name); ``size`` does not apply to it, its knobs are
    its factory's keyword arguments. ``build_timeout_s`` bounds how long building the model
    may take in a worker before the run fails (a constructor that hangs).
    """

    workload: str
    device: str = "cpu"
    size: str = "S"
    batch_size: int | None = None
    knobs: dict[str, int | float | bool | str] = field(default_factory=dict)
    precision: str = "fp32"
    duration_s: float | None = 10.0
    steps: int | None = None
    warmup_max_steps: int = 60
    warmup_max_s: float = 15.0
    threads: int | None = None
    channels_last: bool = False
    compile: bool = False
    input_pipeline: bool = False
    loader_workers: int = 2
    pin_memory: bool = True
    #: extra time each sample takes to load in input-pipeline mode (ms; a slow Dataset, to
    #: demonstrate an input-bound run)
    loader_delay_ms: float = 0.0
    #: the C allocator's behaviour in the training process: "" as it comes, "tuned" (glibc
    #: thresholds raised so freed buffers are reused; ``profiler.runner.allocator``)
    allocator: str = ""
    sample_hz: float = 10.0
    phase_every: int = 10
    seed: int = 0
    name: str = ""
    world_size: int = 1
    model: str = ""
    model_hash: str = ""
    build_timeout_s: float = 300.0
    #: why the run was started: "" by hand, "sweep", "demo" (presentation loop), "re-run"
    origin: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSpec:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown run spec field(s): {', '.join(unknown)}")
        return cls(**data)

    def replace(self, **changes: Any) -> RunSpec:
        return dataclasses.replace(self, **changes)

    @property
    def is_user_model(self) -> bool:
        return self.workload == USER_WORKLOAD

    @property
    def model_label(self) -> str:
        """The model in a few words: ``mlp-S``, ``gpt2 (hf)``, ``plain_model.py:build``."""
        return model_label(self.model) if self.is_user_model else f"{self.workload}-{self.size}"

    @property
    def title(self) -> str:
        """The user's name, else one that says what differs (``profiler.metrics.naming``):
        ``mlp-S width=256 bs128 bf16 1 thread on cpu · sweep``, ``gpt2 (hf) bs8 fp32 on cpu``."""
        return self.name or auto_name({**self.to_dict(), "model_label": self.model_label})


DEFAULT_TRACE_STEPS = 10


@dataclass(frozen=True)
class TraceRequest:
    """Record ``steps`` steps with ``torch.profiler`` after the timed window into ``path`` (a
    Chrome trace JSON; ``profiler.runner.trace``). Not part of the RunSpec: it decides what is
    written besides the run, not what the run measures."""

    path: str
    steps: int = DEFAULT_TRACE_STEPS

    def __post_init__(self) -> None:
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps <= 0:
            raise ValueError(f"a trace needs a positive number of steps, got {self.steps!r}")
        if not self.path or self.path == "-":
            raise ValueError("a trace needs a file to write, not stdout")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def cpu_model() -> str:
    """The CPU's marketing name, best effort."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def capture_environment(threads: int | None = None) -> dict[str, Any]:
    """What a reader of a result needs to reproduce it: software and host facts."""
    import torch

    return {
        "torch": torch.__version__,
        "cuda_runtime": torch.version.cuda,
        "hip_runtime": getattr(torch.version, "hip", None),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "cpu_model": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "torch_threads": threads if threads is not None else torch.get_num_threads(),
    }
