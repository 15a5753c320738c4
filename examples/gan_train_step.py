"""A GAN with two optimizers and its own training step (DCGAN's alternation, MLP-sized).

``"optimizer"`` returns both optimizers; ``"train_step"(model, batch, optimizer)`` runs one
whole step (discriminator, then generator) and returns a loss to show. Horsepower times and
counts FLOPs around the whole step, so both networks' passes are in the figures::

    horsepower run --model examples/gan_train_step.py:build --knob latent=128
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def build(latent: int = 64, hidden: int = 256, image: int = 784, clip: float = 1.0) -> dict:
    model = nn.ModuleDict({
        "G": nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, image), nn.Tanh()),
        "D": nn.Sequential(nn.Linear(image, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1)),
    })

    def make_batch(device: torch.device, batch_size: int):
        return torch.rand(batch_size, image, device=device) * 2 - 1  # "real" images in [-1, 1]

    def optimizer(params):  # the parameters are the ModuleDict's; each network gets its own Adam
        return (torch.optim.Adam(model["G"].parameters(), lr=2e-4, betas=(0.5, 0.999)),
                torch.optim.Adam(model["D"].parameters(), lr=2e-4, betas=(0.5, 0.999)))

    def train_step(model: nn.ModuleDict, real: torch.Tensor, optimizers) -> torch.Tensor:
        opt_g, opt_d = optimizers
        z = torch.randn(real.size(0), latent, device=real.device)
        fake = model["G"](z)
        ones = torch.ones(real.size(0), 1, device=real.device)
        zeros = torch.zeros_like(ones)
        opt_d.zero_grad(set_to_none=True)
        d_loss = (F.binary_cross_entropy_with_logits(model["D"](real), ones)
                  + F.binary_cross_entropy_with_logits(model["D"](fake.detach()), zeros))
        d_loss.backward()
        nn.utils.clip_grad_norm_(model["D"].parameters(), clip)
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        g_loss = F.binary_cross_entropy_with_logits(model["D"](fake), ones)
        g_loss.backward()
        opt_g.step()
        return (d_loss + g_loss).detach()

    return {"model": model, "make_batch": make_batch, "optimizer": optimizer, "train_step": train_step,
            "sample_unit": "images", "batch_size": 64}
