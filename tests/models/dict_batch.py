"""A model that takes keyword inputs (a dict batch) and returns its own loss."""

import torch
from torch import nn


class Tagger(nn.Module):
    def __init__(self, vocab: int, dim: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.head = nn.Linear(dim, vocab)

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor) -> dict:
        logits = self.head(self.embed(tokens) * mask.unsqueeze(-1))
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten())
        return {"loss": loss, "logits": logits}


def build(vocab: int = 50, dim: int = 16, seq_len: int = 6) -> dict:
    def make_batch(device: torch.device, batch_size: int) -> dict:
        tokens = torch.randint(0, vocab, (batch_size, seq_len), device=device)
        mask = torch.ones(batch_size, seq_len, device=device)
        return {"tokens": tokens, "mask": mask, "labels": tokens}

    return {"model": Tagger(vocab, dim), "make_batch": make_batch, "sample_unit": "sentences",
            "tokens_per_sample": seq_len, "batch_size": 4}


def build_with_loss(vocab: int = 50, dim: int = 16) -> dict:
    """Same model; the loss function reads the dict batch (``loss(output, batch)``)."""
    parts = build(vocab, dim)
    parts["loss"] = lambda output, batch: nn.functional.cross_entropy(
        output["logits"].flatten(0, 1), batch["labels"].flatten())
    return parts
