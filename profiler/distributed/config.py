"""What every rank of a distributed run measures, and how it travels on a command line.

``DistConfig`` is frozen and checked once (``check``) before anything starts; the launcher
passes it to each rank as ``python -m profiler.distributed.rank_entry <argv>`` (``to_argv``), so
a rank started by hand under ``torchrun``, Ray Train or a Kubernetes job reads the same flags.

Batches: in ``strong`` mode ``batch_size`` is the global batch and must divide by the world
size (each rank trains ``batch_size / N``); in ``weak`` mode it is the per-rank batch (the
global batch grows with N). Without ``batch_size`` the workload's preset is the global
(strong) or per-rank (weak) batch.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field
from typing import Any

from profiler import numbers
from profiler.results.spec import PRECISIONS, SIZES, RunSpec

MODES = ("strong", "weak")
STRATEGIES = ("ddp", "fsdp")
#: device kinds a rank can train on; each rank uses ``<kind>:<LOCAL_RANK>`` (cpu: "cpu"). Not here:
#: mps (one GPU per Mac, and gloo takes no MPS tensors) and TPUs (torch_xla brings its own launcher)
DEVICE_KINDS = ("cpu", "cuda", "xpu", "hpu", "npu")
DEFAULT_TIMEOUT_S = 300.0  # a collective that waits longer than this fails the run


class DistConfigError(ValueError):
    """A distributed run that cannot start; the message is one line for a user."""


@dataclass(frozen=True)
class DistConfig:
    """Everything a rank needs; see the module doc for ``mode`` and ``batch_size``."""

    workload: str
    device: str = "cpu"  # a device kind from DEVICE_KINDS
    size: str = "S"
    batch_size: int | None = None
    mode: str = "strong"
    strategy: str = "ddp"
    knobs: dict[str, int] = field(default_factory=dict)
    precision: str = "fp32"
    steps: int | None = None  # when set, the timed window is this many steps (duration ignored)
    duration_s: float | None = 5.0
    warmup_max_steps: int = 30
    warmup_max_s: float = 10.0
    reference_steps: int = 10  # no-sync steps that measure compute alone
    threads: int | None = None  # per rank; None: 1 on CPU, torch's default elsewhere
    seed: int = 0
    input_pipeline: bool = False
    loader_workers: int = 0
    probe_bytes: int | None = None  # all-reduce probe size; None: by device
    measure_peak: bool = True
    timeout_s: float = DEFAULT_TIMEOUT_S
    name: str = ""

    # ---- batches -------------------------------------------------------------------
    def batches(self, world_size: int, preset_batch: int) -> tuple[int, int]:
        """(global batch, per-rank batch) at ``world_size``; DistConfigError when strong mode
        cannot split the global batch evenly."""
        base = self.batch_size or preset_batch
        if self.mode == "weak":
            return base * world_size, base
        if base % world_size:
            raise DistConfigError(
                f"strong scaling keeps the global batch {base}, which does not divide by {world_size} ranks; "
                f"choose a batch size that is a multiple of every world size, or --mode weak"
            )
        return base, base // world_size

    def rank_threads(self) -> int | None:
        return self.threads if self.threads is not None else (1 if self.device == "cpu" else None)

    # ---- checks --------------------------------------------------------------------
    def check(self) -> None:
        """DistConfigError for a config no rank could run (nothing is started)."""
        if self.device not in DEVICE_KINDS:
            raise DistConfigError(
                f"unknown device kind {self.device!r} for a distributed run; choose from {', '.join(DEVICE_KINDS)} "
                "(each rank uses <kind>:<LOCAL_RANK>)"
            )
        if self.mode not in MODES:
            raise DistConfigError(f"unknown mode {self.mode!r}; choose from {', '.join(MODES)}")
        if self.strategy not in STRATEGIES:
            raise DistConfigError(f"unknown strategy {self.strategy!r}; choose from {', '.join(STRATEGIES)}")
        if self.size not in SIZES:
            raise DistConfigError(f"unknown size {self.size!r}; choose from {', '.join(SIZES)}")
        if self.precision not in PRECISIONS:
            raise DistConfigError(f"unknown precision {self.precision!r}; choose from {', '.join(PRECISIONS)}")
        for name, value in (("batch size", self.batch_size), ("steps", self.steps), ("threads", self.threads),
                            ("probe bytes", self.probe_bytes)):
            if value is not None and value <= 0:
                raise DistConfigError(f"{name} must be a positive integer, got {value}")
        if self.duration_s is not None and not self.duration_s > 0:
            raise DistConfigError(f"duration must be a positive number of seconds, got {self.duration_s}")
        if self.steps is None and self.duration_s is None:
            raise DistConfigError("give a duration or a step count, or the run never ends")
        if self.reference_steps < 1 or self.warmup_max_steps < 1:
            raise DistConfigError("reference and warm-up steps must be at least 1")
        if not self.timeout_s > 0:
            raise DistConfigError(f"timeout must be a positive number of seconds, got {self.timeout_s}")
        if self.loader_workers < 0:
            raise DistConfigError(f"loader workers must be 0 or more, got {self.loader_workers}")

    def rank_spec(self, world_size: int, device_id: str, preset_batch: int) -> RunSpec:
        """The RunSpec of the whole run (``batch_size`` global, ``device`` rank 0's device)."""
        global_batch, _ = self.batches(world_size, preset_batch)
        return RunSpec(
            workload=self.workload, device=device_id, size=self.size, batch_size=global_batch,
            knobs=dict(self.knobs), precision=self.precision, duration_s=self.duration_s, steps=self.steps,
            warmup_max_steps=self.warmup_max_steps, warmup_max_s=self.warmup_max_s,
            threads=self.rank_threads(), input_pipeline=self.input_pipeline, loader_workers=self.loader_workers,
            seed=self.seed, name=self.name, world_size=world_size,
            phase_every=0,  # distributed steps are split into input/compute/comm instead (``train``)
        )

    def replace(self, **changes: Any) -> DistConfig:
        return dataclasses.replace(self, **changes)

    # ---- the command line ------------------------------------------------------------
    def to_argv(self) -> list[str]:
        """Flags that ``parse_argv`` turns back into this config."""
        argv = ["--workload", self.workload, "--device", self.device, "--size", self.size, "--mode", self.mode,
                "--strategy", self.strategy, "--precision", self.precision,
                "--warmup-max-steps", str(self.warmup_max_steps), "--warmup-max-s", repr(self.warmup_max_s),
                "--reference-steps", str(self.reference_steps), "--seed", str(self.seed),
                "--loader-workers", str(self.loader_workers), "--timeout", repr(self.timeout_s)]
        window = ("--steps", self.steps) if self.steps is not None else ("--duration", self.duration_s)
        for flag, value in (("--batch-size", self.batch_size), window, ("--threads", self.threads),
                            ("--probe-bytes", self.probe_bytes)):
            if value is not None:
                argv += [flag, repr(value) if isinstance(value, float) else str(value)]
        for key, value in sorted(self.knobs.items()):
            argv += ["--knob", f"{key}={value}"]
        if self.input_pipeline:
            argv.append("--input-pipeline")
        if not self.measure_peak:
            argv.append("--no-peak")
        if self.name:
            argv += ["--name", self.name]
        return argv


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``DistConfig`` (shared by the rank entry point and the CLI)."""
    p.add_argument("--workload", default="mlp", help="mlp, cnn, gpt, lstm")
    p.add_argument("--device", default="cpu", help=f"device kind: {', '.join(DEVICE_KINDS)} (rank r uses <kind>:r)")
    p.add_argument("--size", default="S", choices=SIZES, help="size preset (default S)")
    p.add_argument("--batch-size", type=numbers.BATCH.arg(),
                   help="strong mode: global batch; weak mode: batch per rank")
    p.add_argument("--mode", default="strong", choices=MODES,
                   help="strong: keep the global batch; weak: keep the batch per rank (default strong)")
    p.add_argument("--strategy", default="ddp", choices=STRATEGIES, help="data parallelism (default ddp)")
    p.add_argument("--knob", action="append", default=[], metavar="NAME=VALUE", help="override a workload knob")
    p.add_argument("--precision", default="fp32", choices=PRECISIONS, help="numeric precision (default fp32)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--duration", type=numbers.DURATION_S.arg(), help="timed window in seconds (default 5)")
    group.add_argument("--steps", type=numbers.STEPS.arg(), help="timed window in steps")
    p.add_argument("--warmup-max-steps", type=numbers.STEPS.arg(), default=30, help="warm-up at most this many steps")
    p.add_argument("--warmup-max-s", type=numbers.DURATION_S.arg(), default=10.0,
                   help="warm-up at most this many seconds")
    p.add_argument("--reference-steps", type=numbers.STEPS.arg(), default=10,
                   help="steps without gradient sync that measure compute alone (default 10)")
    p.add_argument("--threads", type=numbers.THREADS.arg(), help="torch threads per rank (default: 1 on CPU)")
    p.add_argument("--seed", type=numbers.SEED.arg(), default=0)
    p.add_argument("--input-pipeline", action="store_true", help="feed batches through a DataLoader")
    p.add_argument("--loader-workers", type=numbers.LOADER_WORKERS.arg(), default=0,
                   help="DataLoader workers per rank (default 0)")
    p.add_argument("--probe-bytes", type=numbers.BYTES.arg(),
                   help="all-reduce probe size in bytes (default: by device)")
    p.add_argument("--no-peak", action="store_true", help="skip the matmul peak probe (MFU n/a)")
    p.add_argument("--timeout", type=numbers.TIMEOUT_S.arg(), default=DEFAULT_TIMEOUT_S,
                   help=f"seconds a collective may wait before the run fails (default {DEFAULT_TIMEOUT_S:g})")
    p.add_argument("--name", default="", help="a name for the run")


def parse_knobs(items: list[str]) -> dict[str, int]:
    knobs: dict[str, int] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip().lstrip("-").isdigit():
            raise DistConfigError(f"--knob takes NAME=INTEGER, got {item!r}")
        try:
            knobs[name.strip()] = numbers.KNOB.named(f"--knob {name.strip()[:40]}").parse(value)
        except numbers.NumberError as exc:
            raise DistConfigError(str(exc)) from None
    return knobs


def from_args(args: argparse.Namespace) -> DistConfig:
    """The config of parsed ``add_arguments`` flags (checked)."""
    duration = args.duration if args.duration is not None or args.steps is not None else 5.0
    config = DistConfig(
        workload=args.workload, device=args.device, size=args.size, batch_size=args.batch_size, mode=args.mode,
        strategy=args.strategy, knobs=parse_knobs(args.knob), precision=args.precision, steps=args.steps,
        duration_s=duration, warmup_max_steps=args.warmup_max_steps, warmup_max_s=args.warmup_max_s,
        reference_steps=args.reference_steps, threads=args.threads, seed=args.seed,
        input_pipeline=args.input_pipeline, loader_workers=args.loader_workers, probe_bytes=args.probe_bytes,
        measure_peak=not args.no_peak, timeout_s=args.timeout, name=args.name,
    )
    config.check()
    return config
