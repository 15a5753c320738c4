"""FLOP formulas for the aten ops ``torch.utils.flop_counter`` gets wrong or does not know.

Every formula counts a multiply-add as 2 FLOPs, like torch's own. Each takes the op's
arguments with tensors replaced by their shapes (torch's ``shape_wrapper``), plus
``out_shape``.

- ``aten.convolution_backward``: torch counts the weight gradient of a grouped convolution
  as if it were ungrouped (``groups`` times too many: 32x for a 32-channel depthwise layer);
  each gradient of a convolution costs exactly its forward (every multiply of the forward
  appears once in the input gradient and once in the weight gradient), grouped, strided,
  dilated or transposed alike.
- ``aten._grouped_mm`` / ``aten._scaled_grouped_mm`` (``torch._grouped_mm``,
  ``F.grouped_mm``: mixture-of-experts dispatch in transformers 5) and transformers' own
  fallback op ``transformers::grouped_mm_fallback`` (and its backward): not in torch's table.
- ``aten._scaled_dot_product_flash_attention_for_cpu`` (+ backward) and the
  ``fused_attention_overrideable`` pair: attention's fused kernels on CPU and other
  backends (FlopCounterMode counted 0). Counted as the math path is on meta, so a count on
  the device equals a count on meta: forward = two batched matmuls, backward = twice the
  forward (torch's formula for its CUDA kernels adds the recomputed scores, 2.5x); causal
  masks are not halved, as in torch and PaLM's MFU.
- ``aten.mv``, ``addmv``, ``dot``, ``vdot``, ``addr``, ``addbmm``, ``_int_mm``: plain
  contractions missing from torch's table.

``formulas()`` returns them keyed by op (``OpOverloadPacket``), for
``FlopCounterMode(custom_mapping=...)``. Pure functions; thread-safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from math import prod
from typing import Any

import torch
from torch.utils.flop_counter import conv_flop_count, sdpa_flop_count

log = logging.getLogger(__name__)

Shape = Sequence[int]
aten = torch.ops.aten


def conv_backward_flop(grad_out_shape: Shape, x_shape: Shape, w_shape: Shape, _bias: Any, _stride: Any,
                       _padding: Any, _dilation: Any, transposed: bool, _output_padding: Any, _groups: int,
                       output_mask: Sequence[bool], out_shape: Any = None, **_: Any) -> int:
    """Input and weight gradients of a convolution: each costs the forward's FLOPs, which
    ``conv_flop_count`` gets right for groups (the weight's second dimension is per group)."""
    forward = int(conv_flop_count(list(x_shape), list(w_shape), list(grad_out_shape), transposed=transposed))
    return forward * (int(bool(output_mask[0])) + int(bool(output_mask[1])))


def grouped_mm_flop(a_shape: Shape, b_shape: Shape, *_args: Any, out_shape: Shape | None = None, **_: Any) -> int:
    """``_grouped_mm(a, b, offs)``: 2-D x 3-D (tokens x experts' weights), 3-D x 2-D and
    3-D x 3-D contract over ``a``'s last dimension for every output element; 2-D x 2-D
    (a weight gradient) splits the contraction itself into groups: out ``(G, M, N)`` from
    ``(M, K) x (K, N)``. Rows past ``offs[-1]`` are counted (shapes only, no values)."""
    if len(a_shape) == 2 and len(b_shape) == 2:
        return 2 * a_shape[0] * a_shape[1] * b_shape[1]
    assert out_shape is not None
    return 2 * prod(out_shape) * a_shape[-1]


def grouped_mm_fallback_flop(input_shape: Shape, weight_shape: Shape, *_args: Any, **_: Any) -> int:
    """``transformers::grouped_mm_fallback(input (S, K), weight (E, K, N), offs)``."""
    return 2 * input_shape[0] * input_shape[1] * weight_shape[-1]


def grouped_mm_fallback_backward_flop(input_shape: Shape, weight_shape: Shape, *_args: Any, **_: Any) -> int:
    """Its backward: the input gradient and the weight gradient, each the forward's cost."""
    return 2 * grouped_mm_fallback_flop(input_shape, weight_shape)


def sdpa_forward_flop(query_shape: Shape, key_shape: Shape, value_shape: Shape, *_args: Any, **_: Any) -> int:
    return int(sdpa_flop_count(query_shape, key_shape, value_shape))


def sdpa_backward_flop(grad_out_shape: Shape, query_shape: Shape, key_shape: Shape, value_shape: Shape,
                       *_args: Any, **_: Any) -> int:
    """The gradients of Q, K and V: four matmuls of the forward's sizes (no recomputation)."""
    return 2 * int(sdpa_flop_count(query_shape, key_shape, value_shape))


def mv_flop(a_shape: Shape, v_shape: Shape, *_args: Any, **_: Any) -> int:
    return 2 * a_shape[0] * a_shape[1]


def addmv_flop(_self_shape: Shape, a_shape: Shape, v_shape: Shape, *_args: Any, **_: Any) -> int:
    return mv_flop(a_shape, v_shape)


def dot_flop(a_shape: Shape, _b_shape: Shape, *_args: Any, **_: Any) -> int:
    return 2 * a_shape[0]


def addr_flop(_self_shape: Shape, a_shape: Shape, b_shape: Shape, *_args: Any, **_: Any) -> int:
    """Outer product: one multiply-add per output element."""
    return 2 * a_shape[0] * b_shape[0]


def addbmm_flop(_self_shape: Shape, a_shape: Shape, b_shape: Shape, *_args: Any, **_: Any) -> int:
    return 2 * a_shape[0] * a_shape[1] * a_shape[2] * b_shape[2]


def int_mm_flop(a_shape: Shape, b_shape: Shape, *_args: Any, **_: Any) -> int:
    return 2 * a_shape[0] * a_shape[1] * b_shape[1]


def formulas() -> dict[Any, Callable[..., int]]:
    """Our formulas by op, for ``FlopCounterMode(custom_mapping=...)`` (ops this torch or
    transformers lacks are left out)."""
    table: dict[str, Callable[..., int]] = {
        "convolution_backward": conv_backward_flop,
        "_grouped_mm": grouped_mm_flop,
        "_scaled_grouped_mm": grouped_mm_flop,
        "_scaled_dot_product_flash_attention_for_cpu": sdpa_forward_flop,
        "_scaled_dot_product_flash_attention_for_cpu_backward": sdpa_backward_flop,
        "_scaled_dot_product_fused_attention_overrideable": sdpa_forward_flop,
        "_scaled_dot_product_fused_attention_overrideable_backward": sdpa_backward_flop,
        "mv": mv_flop,
        "addmv": addmv_flop,
        "dot": dot_flop,
        "vdot": dot_flop,
        "addr": addr_flop,
        "addbmm": addbmm_flop,
        "_int_mm": int_mm_flop,
    }
    found: dict[Any, Callable[..., int]] = {getattr(aten, name): fn for name, fn in table.items()
                                            if hasattr(aten, name)}
    for name, fn in (("grouped_mm_fallback", grouped_mm_fallback_flop),
                     ("grouped_mm_fallback_backward", grouped_mm_fallback_backward_flop)):
        op = _library_op("transformers", name)
        if op is not None:
            found[op] = fn
    return found


def _library_op(namespace: str, name: str) -> Any:
    """``torch.ops.<namespace>.<name>`` if a library registered it in this process, else None."""
    try:
        return getattr(getattr(torch.ops, namespace), name)
    except (AttributeError, RuntimeError):
        return None
