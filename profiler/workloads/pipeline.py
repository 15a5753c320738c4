"""Input-pipeline mode: feed a workload from a CPU-resident dataset through a DataLoader.

The default mode cycles a small pool of batches already on the device, which measures the
training step alone. This mode measures what a real job pays as well: per-sample indexing
and collation in ``loader_workers`` processes, optional pinned memory and the host-to-device copy.

``InputPipeline`` owns the loader and its worker processes; use it as a context manager (or
call ``close()``) so no worker outlives the run. Not thread-safe: one consumer thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator
from types import TracebackType
from typing import Any

import torch
from torch.utils.data import DataLoader, default_collate

from profiler.workloads.base import Batch, BuiltWorkload, WorkloadError
from profiler.workloads.batching import batch_to, to_channels_last
from profiler.workloads.sync import is_accelerator

log = logging.getLogger(__name__)


def model_device(built: BuiltWorkload) -> torch.device:
    """The device the workload's model lives on (cpu for a model without parameters)."""
    for p in built.model.parameters():
        return p.device
    return torch.device("cpu")


def channels_last_collate(samples: list[Batch]) -> Batch:
    """``default_collate``, then image inputs in ``torch.channels_last`` (kept through the copy)."""
    return to_channels_last(default_collate(samples))


class DelayedDataset(torch.utils.data.Dataset):
    """``dataset`` whose every sample takes ``delay_s`` longer to read (a slow decode or disk,
    to demonstrate an input-bound run). Module-level, so loader workers can unpickle it."""

    def __init__(self, dataset: Any, delay_s: float) -> None:
        self.dataset = dataset
        self.delay_s = delay_s

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Any:
        time.sleep(self.delay_s)
        return self.dataset[index]


def make_loader(built: BuiltWorkload, n_samples: int, loader_workers: int, pin_memory: bool,
                delay_ms: float = 0.0) -> DataLoader:
    """A shuffling DataLoader over ``built.host_dataset(n_samples)`` in batches of the step.

    Drops the last partial batch; keeps ``loader_workers`` processes alive across epochs; pins
    host memory only when asked and the model is on an accelerator (pinning for a CPU
    model costs a copy and buys nothing). Batches of a ``channels_last`` workload come out
    in that layout. ``delay_ms`` > 0 makes each sample that much slower to load (``DelayedDataset``).
    """
    if n_samples < built.batch_size:
        raise ValueError(f"n_samples ({n_samples}) must be at least one batch ({built.batch_size})")
    if loader_workers < 0:
        raise ValueError(f"loader_workers must be >= 0, got {loader_workers}")
    if built.host_dataset is None:
        raise WorkloadError("this workload has no host_dataset(n), so it cannot feed an input pipeline")
    pin = bool(pin_memory) and is_accelerator(model_device(built))
    dataset = built.host_dataset(n_samples)
    if delay_ms > 0:
        dataset = DelayedDataset(dataset, delay_ms / 1000.0)
    return DataLoader(
        dataset,
        batch_size=built.batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=loader_workers,
        persistent_workers=loader_workers > 0,
        pin_memory=pin,
        collate_fn=channels_last_collate if built.channels_last else None,
    )


def device_batches(
    loader: DataLoader,
    device: torch.device | str,
) -> Generator[Batch, None, None]:
    """Cycle ``loader`` forever, copying each batch to ``device`` with ``non_blocking=True``.

    The copy keeps the batch's memory layout (``channels_last`` from ``make_loader``); a
    batch may be a tuple or a dict (``batching``).
    """
    dev = torch.device(device)
    while True:
        for batch in loader:
            yield batch_to(batch, dev)


def host_batches(loader: DataLoader) -> Generator[Any, None, None]:
    """Cycle ``loader`` forever, yielding its batches as they come (still in host memory).

    With ``batch_to_device`` this is ``device_batches`` in two steps, so a phase-sampled step
    can time waiting for the loader apart from the copy.
    """
    while True:
        yield from loader


def batch_to_device(batch: Any, device: torch.device) -> Any:
    """``batch`` with every tensor in it (a tensor, a tuple or list, a dict of them, nested) on
    ``device``, copied with ``non_blocking=True`` and keeping its memory layout."""
    return batch_to(batch, device)


def shutdown_loader(loader: DataLoader) -> None:
    """Stop a loader's worker processes now (persistent workers otherwise live until GC)."""
    iterator = getattr(loader, "_iterator", None)
    if iterator is not None and hasattr(iterator, "_shutdown_workers"):
        iterator._shutdown_workers()
    if hasattr(loader, "_iterator"):
        loader._iterator = None


class InputPipeline:
    """``make_batch`` for the runner in input-pipeline mode, with clean shutdown.

    ``pipeline.make_batch()`` returns the next device batch, like ``BuiltWorkload.make_batch``.
    """

    def __init__(self, built: BuiltWorkload, n_samples: int, loader_workers: int, pin_memory: bool) -> None:
        self.device = model_device(built)
        self.loader = make_loader(built, n_samples, loader_workers, pin_memory)
        self._batches: Generator[Batch, None, None] | None = device_batches(self.loader, self.device)
        log.debug(
            "input pipeline: %d samples, %d loader workers, pin_memory=%s",
            n_samples, loader_workers, self.loader.pin_memory,
        )

    def make_batch(self) -> Batch:
        if self._batches is None:
            raise RuntimeError("input pipeline is closed")
        return next(self._batches)

    def close(self) -> None:
        """Stop the batch generator and join the loader's worker processes. Idempotent."""
        if self._batches is not None:
            self._batches.close()
            self._batches = None
        shutdown_loader(self.loader)

    def __enter__(self) -> InputPipeline:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
