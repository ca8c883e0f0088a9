"""Skip-gram and CBOW with negative sampling (Mikolov et al., 2013): two embedding tables.

``in_embed`` holds the word vectors (gensim's ``wv``, word2vec's ``syn0``), initialised
uniformly in +-0.5 / D as word2vec does; ``out_embed`` the context vectors that score them
(``syn1neg``), initialised to zeros. Both read the batches of ``zoo.data.word_windows``
(B centres, 2W context slots, K negatives per slot) and return the scores the loss reads:
``(scores (B, P, 1 + K), mask (B, P))``, target 0 of each of the P rows the true word and the
K others noise; mask False marks an empty context slot.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class WordEmbeddings(nn.Module):
    """The two tables both models share.

    Args:
        vocab_size: V words.
        embed_dim: D, the vectors' size.
    """

    def __init__(self, vocab_size: int, embed_dim: int = 100) -> None:
        super().__init__()
        self.in_embed = nn.Embedding(vocab_size, embed_dim)
        self.out_embed = nn.Embedding(vocab_size, embed_dim)
        nn.init.uniform_(self.in_embed.weight, -0.5 / embed_dim, 0.5 / embed_dim)
        nn.init.zeros_(self.out_embed.weight)

    @property
    def vectors(self) -> Tensor:
        """(V, D) the word vectors."""
        return self.in_embed.weight

    def score(self, hidden: Tensor, targets: Tensor) -> Tensor:
        """hidden (B, P, D) or (B, D), targets (B, P, T) ids -> (B, P, T) dot products."""
        if hidden.ndim == 2:
            hidden = hidden[:, None]
        return torch.einsum("bpd,bptd->bpt", hidden, self.out_embed(targets))


class SkipGram(WordEmbeddings):
    """Each centre predicts every word of its context, each against its own K negatives."""

    def forward(
        self, centers: Tensor, contexts: Tensor, context_mask: Tensor, negatives: Tensor
    ) -> tuple[Tensor, Tensor]:
        """centers (B,), contexts (B, 2W), context_mask (B, 2W), negatives (B, 2W, K) ->
        (scores (B, 2W, 1 + K), mask (B, 2W))."""
        targets = torch.cat([contexts[..., None], negatives], dim=2)
        return self.score(self.in_embed(centers), targets), context_mask


class CBOW(WordEmbeddings):
    """The mean of the context's vectors predicts the centre, against the first slot's K negatives."""

    def forward(
        self, centers: Tensor, contexts: Tensor, context_mask: Tensor, negatives: Tensor
    ) -> tuple[Tensor, Tensor]:
        """centers (B,), contexts (B, 2W), context_mask (B, 2W), negatives (B, 2W, K) ->
        (scores (B, 1, 1 + K), mask (B, 1))."""
        weights = context_mask.to(self.in_embed.weight.dtype)[..., None]  # (B, 2W, 1)
        hidden = (self.in_embed(contexts) * weights).sum(1) / weights.sum(1).clamp(min=1)  # (B, D)
        targets = torch.cat([centers[:, None], negatives[:, 0]], dim=1)[:, None]  # (B, 1, 1 + K)
        return self.score(hidden, targets), context_mask.any(1, keepdim=True)
