"""Synthetic data that a model can actually learn, generated on the device.

Labels come from a fixed random "teacher" so loss falls during a run: a sign that the
model really trains rather than spinning on noise. ``Workload.build`` makes a small pool of
``POOL_BATCHES`` batches once and cycles it, so per-step cost is the training step, not the
data generation.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import torch
from torch.utils.data import TensorDataset

from profiler.workloads.batching import Batch

POOL_BATCHES = 8
#: noise standard deviation around each class template in ``pattern_batch`` (templates have std 1)
PATTERN_NOISE = 1.0
#: at most this many distinct tokens appear in synthetic sequences: a small model learns the
#: rule over them within tens of steps, while the output layer still spans the whole vocab
TOKEN_ALPHABET = 128


def cycle_pool(batches: list[Batch]) -> Callable[[], Batch]:
    """A zero-cost ``make_batch`` that cycles a pre-generated pool."""
    it = itertools.cycle(batches)
    return lambda: next(it)


def teacher_classes(x: torch.Tensor, n_classes: int, seed: int = 1234) -> torch.Tensor:
    """Class labels from a fixed random linear teacher over the flattened inputs."""
    flat = x.reshape(x.shape[0], -1).float()
    gen = torch.Generator(device="cpu").manual_seed(seed)
    w = torch.randn(flat.shape[1], n_classes, generator=gen, device="cpu").to(flat.device)
    return (flat @ w).argmax(dim=1)


def classification_batch(
    shape: tuple[int, ...], n_classes: int, batch_size: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gaussian inputs labelled by ``teacher_classes``."""
    x = torch.randn(batch_size, *shape, device=device)
    return x, teacher_classes(x, n_classes)


def classification_dataset(shape: tuple[int, ...], n_classes: int, n: int) -> TensorDataset:
    """The same task as ``classification_batch`` but CPU-resident, for the input pipeline."""
    x = torch.randn(n, *shape)
    return TensorDataset(x, teacher_classes(x, n_classes))


def pattern_batch(
    shape: tuple[int, ...], n_classes: int, batch_size: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Image-like batch: a fixed random template per class plus noise (easy for a CNN)."""
    templates = class_templates(shape, n_classes).to(device)
    y = torch.randint(0, n_classes, (batch_size,), device=device)
    x = templates[y] + PATTERN_NOISE * torch.randn(batch_size, *shape, device=device)
    return x, y


def pattern_dataset(shape: tuple[int, ...], n_classes: int, n: int) -> TensorDataset:
    """The same task as ``pattern_batch`` but CPU-resident, for the input pipeline."""
    y = torch.randint(0, n_classes, (n,))
    x = class_templates(shape, n_classes)[y] + PATTERN_NOISE * torch.randn(n, *shape)
    return TensorDataset(x, y)


def class_templates(shape: tuple[int, ...], n_classes: int, seed: int = 4321) -> torch.Tensor:
    """One fixed random pattern per class, shape ``(n_classes, *shape)``, on the CPU."""
    gen = torch.Generator(device="cpu").manual_seed(seed)
    return torch.randn(n_classes, *shape, generator=gen, device="cpu")


def token_batch(vocab: int, seq_len: int, batch_size: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Next-token batch from a learnable rule: token[t+1] = (token[t] + 7) % min(vocab, 128)."""
    seq = _affine_sequences(vocab, seq_len + 1, batch_size).to(device)
    return seq[:, :-1].contiguous(), seq[:, 1:].contiguous()


def token_dataset(vocab: int, seq_len: int, n: int) -> TensorDataset:
    seq = _affine_sequences(vocab, seq_len + 1, n)
    return TensorDataset(seq[:, :-1].contiguous(), seq[:, 1:].contiguous())


def _affine_sequences(vocab: int, length: int, n: int) -> torch.Tensor:
    alphabet = min(vocab, TOKEN_ALPHABET)
    start = torch.randint(0, alphabet, (n, 1), device="cpu")
    steps = torch.arange(length, device="cpu").unsqueeze(0)
    # A fixed-stride walk: predictable from the previous token, so a small model learns it.
    return (start + 7 * steps) % alphabet
