"""Factories that break the workload protocol in every way the checks must catch."""

import torch
from torch import nn


def make_batch(device: torch.device, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(batch_size, 8, device=device), torch.randint(0, 2, (batch_size,), device=device)


def raises(width: int = 4) -> dict:
    raise ValueError(f"width {width} is not supported")


def returns_module() -> nn.Module:
    return nn.Linear(8, 2)


def shape_mismatch() -> dict:
    return {"model": nn.Linear(5, 2), "make_batch": make_batch, "loss": nn.functional.cross_entropy}


def not_scalar_loss() -> dict:
    return {"model": nn.Linear(8, 2), "make_batch": make_batch,
            "loss": lambda out, y: nn.functional.cross_entropy(out, y, reduction="none")}


def no_loss() -> dict:
    return {"model": nn.Linear(8, 2), "make_batch": make_batch}


def needs_argument(width) -> dict:  # type: ignore[no-untyped-def]
    return {"model": nn.Linear(8, width), "make_batch": make_batch}


def hangs(width: int = 4) -> dict:
    import time

    time.sleep(3600)
    return {}


NOT_A_FUNCTION = 3
