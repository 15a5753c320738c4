"""Count a step's FLOPs and say which of its ops were not counted.

``counting()`` wraps ``torch.utils.flop_counter.FlopCounterMode`` (with our formulas,
``flop_formulas``) over a second dispatch mode beneath it, ``LeafOps``, that sees every op the
counter runs whole, after its decompositions: exactly the calls the counter either counted
(it has a formula) or skipped. A skipped call that does matrix work (its name says mm,
matmul, conv, attention, rnn, ... or it is a library's custom op) is "uncounted".
Elementwise ops, norms, softmax and reductions are left out of FLOP counts by convention
(as torch, PaLM's MFU and every MFU table do) and are not reported.

The share reported is of calls: uncounted matrix-op calls over all matrix-op calls of the
step (counted + uncounted). Calls, not time, because the count runs on the meta device,
where nothing has a duration; a call of an uncounted op may cost more or less than an average one.

``LeafOps`` also runs ``_grouped_mm`` on meta tensors of dtypes its meta kernel refuses
(it accepts bf16 only in torch 2.13) by shape, so an fp32 mixture-of-experts model counts on meta.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

from profiler.metrics.flop_coverage import StepFlops
from profiler.workloads.flop_formulas import formulas

__all__ = ["Counting", "LeafOps", "StepFlops", "counting", "is_matrix_op"]

#: words in an aten op's name that mean matrix work (split at "_" and ".")
MATRIX_WORDS = frozenset({"mm", "bmm", "addmm", "baddbmm", "addbmm", "matmul", "linear", "attention", "attn",
                          "rnn", "lstm", "gru", "einsum", "mv", "addmv", "dot", "vdot", "addr", "trilinear",
                          "bilinear", "cdist", "tensordot", "convolution"})
CONV_WORD = re.compile(r"conv(\d+d)?|depthwise(\d+d)?|convolution")
#: namespaces of ops that do no arithmetic of their own (profiling marks, collectives, prims)
QUIET_NAMESPACES = frozenset({"aten", "prim", "prims", "profiler", "c10d", "_c10d_functional", "c10d_functional",
                              "_dtensor", "higher_order", "_quantized"})


def is_matrix_op(name: str) -> bool:
    """Whether the op ``namespace.name`` does matrix work (aten by its name; any op a library
    registered outside torch's own namespaces counts as such)."""
    namespace, _, base = name.partition(".")
    if namespace not in QUIET_NAMESPACES:
        return True
    if namespace != "aten":
        return False
    words = [w for w in base.split("_") if w]
    return any(w in MATRIX_WORDS or CONV_WORD.fullmatch(w) for w in words)


class LeafOps(TorchDispatchMode):
    """Beneath the FLOP counter: counts every op it runs whole, and runs an unsupported-dtype
    ``_grouped_mm`` on meta by shape."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[Any] = Counter()

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        packet = func._overloadpacket
        self.calls[packet] += 1
        if packet in (torch.ops.aten._grouped_mm, torch.ops.aten._scaled_grouped_mm) and _meta_not_bf16(args):
            return _grouped_mm_on_meta(args, kwargs, 2 if packet is torch.ops.aten._grouped_mm else 4)
        return func(*args, **kwargs)


class Counting:
    """A step being counted: ``result()`` after the ``counting()`` block."""

    def __init__(self) -> None:
        self.counter = FlopCounterMode(display=False, custom_mapping=formulas())
        self.leaves = LeafOps()

    def result(self) -> StepFlops:
        registry = self.counter.flop_registry
        counted = sum(n for op, n in self.leaves.calls.items() if op in registry)
        uncounted = {str(op): n for op, n in self.leaves.calls.items()
                     if op not in registry and is_matrix_op(str(op))}
        return StepFlops(int(self.counter.get_total_flops()), counted, uncounted)

    def by_op(self) -> dict[str, int]:
        return {str(op): int(n) for op, n in self.counter.get_flop_counts()["Global"].items()}


@contextmanager
def counting() -> Iterator[Counting]:
    """Count the FLOPs of what runs inside (forward and backward alike)."""
    state = Counting()
    with state.leaves, state.counter:
        yield state


def _meta_not_bf16(args: Any) -> bool:
    a, b = args[0], args[1]
    return (isinstance(a, torch.Tensor) and a.device.type == "meta"
            and (a.dtype != torch.bfloat16 or b.dtype != torch.bfloat16))


def _grouped_mm_on_meta(args: Any, kwargs: Any, offs_at: int) -> torch.Tensor:
    """The output of ``_grouped_mm(a, b, offs, ...)`` on meta, by its documented shapes
    (``offs_at``: the position of ``offs`` among the op's arguments)."""
    a, b = args[0], args[1]
    offs = kwargs.get("offs", args[offs_at] if len(args) > offs_at else None)
    if a.dim() == 2 and b.dim() == 2:
        groups = offs.shape[0] if isinstance(offs, torch.Tensor) else 1
        shape: tuple[int, ...] = (groups, a.shape[0], b.shape[1])
    elif a.dim() == 2:
        shape = (a.shape[0], b.shape[-1])
    elif b.dim() == 2:
        shape = (a.shape[1], b.shape[-1])
    else:
        shape = (a.shape[0], a.shape[1], b.shape[-1])
    dtype = kwargs.get("out_dtype") or a.dtype
    return torch.empty(shape, dtype=dtype, device="meta")
