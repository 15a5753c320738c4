"""A model that takes keyword inputs (a dict), as text models with attention masks do.

    horsepower run --model examples/dict_inputs.py:build
    horsepower run --model examples/dict_inputs.py:build --knob layers=4 --knob seq_len=256

``make_batch`` returns ``({"input_ids": ..., "attention_mask": ...}, labels)``: the engine calls
``model(input_ids=..., attention_mask=...)`` and ``loss(output, labels)``. (A plain dict batch
is passed whole as keyword arguments, and the loss then receives the dict: the form for a
model that computes its own loss from ``labels``. See docs/YOUR_MODEL.md.)
"""

import torch
from torch import nn

from profiler.workloads import ModelWorkload  # optional: a plain dict works as well


class TextClassifier(nn.Module):
    """Token embeddings, a Transformer encoder and mean pooling over the unmasked tokens."""

    def __init__(self, vocab: int, dim: int, layers: int, heads: int, classes: int, seq_len: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.position = nn.Parameter(torch.zeros(seq_len, dim))
        layer = nn.TransformerEncoderLayer(dim, heads, 4 * dim, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(dim, classes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        x = self.embed(input_ids) + self.position[: input_ids.shape[1]]
        x = self.encoder(x, src_key_padding_mask=attention_mask == 0)
        keep = attention_mask.unsqueeze(-1).to(x.dtype)
        return self.head((x * keep).sum(1) / keep.sum(1).clamp(min=1.0))


def build(vocab: int = 1000, dim: int = 128, layers: int = 2, heads: int = 4, classes: int = 4,
          seq_len: int = 64) -> ModelWorkload:
    def make_batch(device: torch.device, batch_size: int) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        ids = torch.randint(1, vocab, (batch_size, seq_len), device=device)
        lengths = torch.randint(seq_len // 2, seq_len + 1, (batch_size, 1), device=device)
        mask = (torch.arange(seq_len, device=device).unsqueeze(0) < lengths).long()
        labels = ids[:, 0] % classes  # learnable: the class is written in the first token
        return {"input_ids": ids * mask, "attention_mask": mask}, labels

    return ModelWorkload(
        model=TextClassifier(vocab, dim, layers, heads, classes, seq_len),
        make_batch=make_batch,
        loss=nn.functional.cross_entropy,
        sample_unit="sequences",
        batch_size=32,
        tokens_per_sample=seq_len,
    )
