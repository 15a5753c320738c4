"""Models whose FLOPs FlopCounterMode used to get wrong, in plain torch.nn, with analytic counts.

- ``mobilenet``: MobileNetV2-shaped inverted residual blocks (1x1 expand, 3x3 depthwise,
  1x1 project, residual where the shape allows).
- ``convnext``: ConvNeXt blocks (7x7 depthwise conv, LayerNorm, 4x MLP, layer scale).
- ``moe``: a mixture-of-experts layer with top-k routing and gated experts, dispatched
  through ``torch._grouped_mm`` (``grouped=True``) or a loop over experts.

The analytic count of each is the usual MFU convention: 2 FLOPs per multiply-add of every
convolution, linear layer and expert matmul; forward once, backward twice (input gradient
and weight gradient), less the input gradient of the first layer (its input needs none);
norms, activations, pooling, routing softmax and gathers count 0. Conv FLOPs use each
layer's real output size (read with forward hooks, not from FlopCounterMode).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---- MobileNetV2-shaped CNN -------------------------------------------------------------------


class InvertedResidual(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = c_in * expand
        self.residual = stride == 1 and c_in == c_out
        self.block = nn.Sequential(
            nn.Conv2d(c_in, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, c_out, 1, bias=False), nn.BatchNorm2d(c_out),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return x + y if self.residual else y


def mobilenet(width: int = 16, classes: int = 10) -> nn.Module:
    """Stem 3x3/2, six inverted residual blocks (expansion 6), 1x1 head conv, pool, linear."""
    spec = [(width, 16, 1, 1), (16, 24, 2, 6), (24, 24, 1, 6), (24, 32, 2, 6), (32, 32, 1, 6), (32, 64, 2, 6)]
    return nn.Sequential(
        nn.Conv2d(3, width, 3, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU6(),
        *[InvertedResidual(*s) for s in spec],
        nn.Conv2d(64, 256, 1, bias=False), nn.BatchNorm2d(256), nn.ReLU6(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, classes),
    )


# ---- ConvNeXt ---------------------------------------------------------------------------------


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(torch.full((dim,), 1e-6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.dwconv(x).permute(0, 2, 3, 1)
        y = self.pwconv2(F.gelu(self.pwconv1(self.norm(y))))
        return x + (self.gamma * y).permute(0, 3, 1, 2)


def convnext(dim: int = 48, blocks: int = 2, classes: int = 10) -> nn.Module:
    """Patchify stem 4x4/4, ``blocks`` ConvNeXt blocks, pool, LayerNorm, linear head."""
    return nn.Sequential(
        nn.Conv2d(3, dim, 4, 4), *[ConvNeXtBlock(dim) for _ in range(blocks)],
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.LayerNorm(dim), nn.Linear(dim, classes),
    )


def image_batch(n: int, size: int, device: str, classes: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(n, 3, size, size, device=device), torch.randint(0, classes, (n,), device=device)


def analytic_cnn_train_flops(model: nn.Module, images: torch.Tensor) -> int:
    """3x the forward FLOPs of every Conv2d and Linear, less the first layer's input gradient."""
    forward: list[int] = []

    def conv_hook(m: nn.Module, _inp: object, out: torch.Tensor) -> None:
        assert isinstance(m, nn.Conv2d)
        kh, kw = m.kernel_size
        forward.append(2 * out.numel() * (m.in_channels // m.groups) * kh * kw)

    def linear_hook(m: nn.Module, inp: tuple[torch.Tensor, ...], _out: torch.Tensor) -> None:
        assert isinstance(m, nn.Linear)
        forward.append(2 * (inp[0].numel() // m.in_features) * m.in_features * m.out_features)

    handles = [m.register_forward_hook(conv_hook if isinstance(m, nn.Conv2d) else linear_hook)
               for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        with torch.no_grad():
            model(images)
    finally:
        for h in handles:
            h.remove()
    return 3 * sum(forward) - forward[0]


# ---- mixture of experts -----------------------------------------------------------------------


class MoE(nn.Module):
    """Top-``k`` of ``experts`` gated MLPs (SwiGLU: w1, w3: d -> f; w2: f -> d) per token."""

    def __init__(self, d: int, f: int, experts: int, k: int, grouped: bool) -> None:
        super().__init__()
        self.k, self.experts, self.grouped = k, experts, grouped
        self.router = nn.Linear(d, experts, bias=False)
        self.w1 = nn.Parameter(torch.randn(experts, d, f) * d**-0.5)
        self.w3 = nn.Parameter(torch.randn(experts, d, f) * d**-0.5)
        self.w2 = nn.Parameter(torch.randn(experts, f, d) * f**-0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = x.reshape(-1, x.shape[-1])
        weights, chosen = torch.topk(F.softmax(self.router(tokens), dim=-1), self.k, dim=-1)
        flat = chosen.reshape(-1)
        out = self._grouped(tokens, flat) if self.grouped else self._loop(tokens, flat)
        out = out * weights.reshape(-1, 1)
        return out.view(tokens.shape[0], self.k, -1).sum(1).view_as(x)

    def _grouped(self, tokens: torch.Tensor, flat: torch.Tensor) -> torch.Tensor:
        order = torch.argsort(flat)
        picked = tokens[order // self.k]
        counts = torch.histc(flat.float(), bins=self.experts, min=0, max=self.experts - 1)
        offs = torch.cumsum(counts, 0).to(torch.int32)
        h = F.silu(torch._grouped_mm(picked, self.w1, offs=offs)) * torch._grouped_mm(picked, self.w3, offs=offs)
        y = torch._grouped_mm(h, self.w2, offs=offs)
        return torch.empty_like(y).index_copy(0, order, y)  # back to (token, slot) order

    def _loop(self, tokens: torch.Tensor, flat: torch.Tensor) -> torch.Tensor:
        rows = tokens.repeat_interleave(self.k, dim=0)
        out = torch.zeros(rows.shape[0], self.w2.shape[-1], device=rows.device, dtype=rows.dtype)
        for e in range(self.experts):
            idx = torch.nonzero(flat == e).squeeze(1)
            x = rows[idx]
            out = out.index_add(0, idx, (F.silu(x @ self.w1[e]) * (x @ self.w3[e])) @ self.w2[e])
        return out


class MoEModel(nn.Module):
    def __init__(self, d_in: int, d: int, f: int, experts: int, k: int, classes: int, grouped: bool) -> None:
        super().__init__()
        self.proj = nn.Linear(d_in, d)
        self.moe = MoE(d, f, experts, k, grouped)
        self.head = nn.Linear(d, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.moe(self.proj(x)))


MOE = {"d_in": 32, "d": 64, "f": 128, "experts": 8, "k": 2, "classes": 10}


def moe(grouped: bool = True) -> MoEModel:
    return MoEModel(**MOE, grouped=grouped)


def moe_batch(tokens: int, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(tokens, MOE["d_in"], device=device), torch.randint(0, MOE["classes"], (tokens,), device=device)


def analytic_moe_train_flops(tokens: int) -> int:
    d_in, d, f, e, k, c = (MOE[n] for n in ("d_in", "d", "f", "experts", "k", "classes"))
    proj = 2 * tokens * d_in * d
    router = 2 * tokens * d * e
    experts = 3 * 2 * tokens * k * d * f  # w1, w3 and w2, each d x f, for every chosen (token, expert)
    head = 2 * tokens * d * c
    return 2 * proj + 3 * (router + experts + head)
