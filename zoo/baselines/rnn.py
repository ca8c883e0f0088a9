"""Recurrent baselines for text: an LSTM/GRU classifier and an LSTM language model.

Both take (B, N) int64 token ids, right-padded with ``pad_id``, like the Transformer text
models, so the same tasks and recipes train either.

Hochreiter & Schmidhuber, "Long Short-Term Memory", 1997; Cho et al., "Learning Phrase
Representations using RNN Encoder-Decoder" (GRU), 2014, https://arxiv.org/abs/1406.1078;
Zaremba et al., "Recurrent Neural Network Regularization", 2014, https://arxiv.org/abs/1409.2329;
Merity et al., "Regularizing and Optimizing LSTM Language Models", 2017, https://arxiv.org/abs/1708.02182
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from zoo.errors import ZooError
from zoo.frontends.text import check_ids
from zoo.heads.classifier import FcClassifier

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}
POOLS = ("last", "max", "mean")


class RNNClassifier(FcClassifier, nn.Module):
    """(B, N) token ids -> (B, num_classes) logits: embedding -> LSTM/GRU -> pool -> dropout -> ``fc``.

    The recurrence runs over packed sequences, so a row's logits do not depend on how much
    padding follows it. Lengths count the ids that are not ``pad_id`` (right padding); a row
    of padding only is read as one padding token.

    Args:
        vocab_size: number of token ids V.
        num_classes: output classes.
        embed_dim: token embedding width D.
        hidden_size: recurrent state width per direction.
        num_layers: stacked recurrent layers.
        cell: "lstm" or "gru".
        bidirectional: also read each sequence right to left; features are both directions concatenated.
        pad_id: the padding id (zero embedding, excluded from the sequence length).
        dropout: between stacked layers and before ``fc``.
        pool: "last" (the final hidden state of the top layer), or "max" / "mean" over the
            top layer's outputs at valid positions.
    """

    def __init__(
        self,
        vocab_size: int,
        num_classes: int,
        embed_dim: int = 128,
        hidden_size: int = 256,
        num_layers: int = 1,
        cell: Literal["lstm", "gru"] = "lstm",
        bidirectional: bool = False,
        pad_id: int = 0,
        dropout: float = 0.0,
        pool: Literal["last", "max", "mean"] = "last",
    ) -> None:
        super().__init__()
        if pool not in POOLS:
            raise ZooError(f"pool must be one of {', '.join(POOLS)}, got {pool!r}")
        self.pad_id, self.pool = pad_id, pool
        self.num_directions = 2 if bidirectional else 1
        self.embedding = token_embedding(vocab_size, embed_dim, pad_id)
        self.rnn = _rnn(cell, embed_dim, hidden_size, num_layers, dropout, bidirectional)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(self.num_directions * hidden_size, num_classes)

    def layer_groups(self) -> list[nn.Module]:
        """Everything before ``fc``, input to output: the embedding, then the recurrent layers."""
        return [self.embedding, self.rnn]

    def forward_features(self, ids: Tensor) -> Tensor:
        """(B, N) ids -> (B, num_directions * hidden_size) pooled features."""
        check_ids(ids, self.embedding.num_embeddings)
        N = ids.shape[1]
        lengths = (ids != self.pad_id).sum(1).clamp(min=1)  # (B,)
        packed = pack_padded_sequence(self.embedding(ids), lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, hidden = self.rnn(packed)
        if self.pool == "last":
            h = hidden[0] if isinstance(self.rnn, nn.LSTM) else hidden  # (num_layers * directions, B, H)
            return torch.cat(list(h[-self.num_directions :]), dim=-1)  # top layer: forward, then backward
        x, _ = pad_packed_sequence(outputs, batch_first=True, total_length=N)  # (B, N, directions * H)
        if self.pool == "max":
            padding = (torch.arange(N, device=ids.device) >= lengths[:, None])[..., None]  # (B, N, 1)
            return x.masked_fill(padding, float("-inf")).amax(1)
        return x.sum(1) / lengths[:, None]  # padded outputs are zeros

    def forward(self, ids: Tensor) -> Tensor:
        """(B, N) ids -> (B, num_classes) logits."""
        return self.fc(self.drop(self.forward_features(ids)))


@dataclass
class RNNState:
    """The recurrent state between decoding steps: whatever the LSTM/GRU returned, or None
    before the first step (the RNN then starts from zeros).

    ``hidden`` is an LSTM's ``(h, c)`` or a GRU's ``h``, each (num_layers, B, hidden_size).
    """

    hidden: Tensor | tuple[Tensor, Tensor] | None = None

    def reorder(self, index: Tensor) -> None:
        """Keep sequences ``index`` (B',), in that order."""
        if isinstance(self.hidden, Tensor):
            self.hidden = self.hidden.index_select(1, index)
        elif self.hidden is not None:
            self.hidden = tuple(t.index_select(1, index) for t in self.hidden)


class RNNLanguageModel(nn.Module):
    """(B, N) token ids -> (B, N, V) next-token logits (Merity et al. 2017, without weight drop).

    embedding -> dropout -> LSTM/GRU -> dropout -> projection to ``embed_dim`` (only when
    ``hidden_size != embed_dim``) -> linear decoder, whose weight is the embedding's when
    ``tie_weights`` (Press & Wolf 2017; ``decoder.weight`` is ``embedding.weight``).

    The recurrence is causal, so right padding never changes the logits before it. For
    generation it follows ``CausalLM``'s protocol: ``init_state`` / ``decode_step`` /
    ``reorder_state``, with no limit on the length.

    Args:
        vocab_size: number of token ids V.
        embed_dim: token embedding width D.
        hidden_size: recurrent state width.
        num_layers: stacked recurrent layers.
        cell: "lstm" or "gru".
        dropout: on the embeddings, between stacked layers, and on the top layer's outputs.
        tie_weights: share the decoder's (V, D) weight with the embedding.
        pad_id: the padding id (its embedding is zero), or None when inputs are never padded.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int = 256,
        hidden_size: int = 256,
        num_layers: int = 2,
        cell: Literal["lstm", "gru"] = "lstm",
        dropout: float = 0.0,
        tie_weights: bool = True,
        pad_id: int | None = None,
    ) -> None:
        super().__init__()
        self.embedding = token_embedding(vocab_size, embed_dim, pad_id)
        self.drop = nn.Dropout(dropout)
        self.rnn = _rnn(cell, embed_dim, hidden_size, num_layers, dropout, bidirectional=False)
        self.proj = nn.Linear(hidden_size, embed_dim) if hidden_size != embed_dim else None
        self.decoder = nn.Linear(embed_dim, vocab_size)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        if tie_weights:
            self.decoder.weight = self.embedding.weight

    @property
    def max_len(self) -> None:
        """No context limit: the state carries any length."""
        return None

    @property
    def vocab_size(self) -> int:
        return self.decoder.out_features

    def layer_groups(self) -> list[nn.Module]:
        """Everything before the decoder, input to output: embedding, recurrent layers, projection."""
        return [m for m in (self.embedding, self.rnn, self.proj) if m is not None]

    def forward(self, ids: Tensor) -> Tensor:
        """(B, N) ids -> (B, N, V) logits; position i has read ids 0..i."""
        return self.decode_step(ids, self.init_state(ids.shape[0]))

    def init_state(self, batch_size: int, max_len: int | None = None) -> RNNState:
        """An empty state; the batch size is set by the first step, and any ``max_len`` fits."""
        return RNNState()

    def decode_step(self, ids: Tensor, state: RNNState) -> Tensor:
        """(B, n) ids that follow those already read into ``state`` -> (B, n, V) logits; advances ``state``."""
        check_ids(ids, self.embedding.num_embeddings)
        x, state.hidden = self.rnn(self.drop(self.embedding(ids)), state.hidden)  # (B, n, hidden_size)
        x = self.drop(x)
        if self.proj is not None:
            x = self.proj(x)  # (B, n, D)
        return self.decoder(x)

    def reorder_state(self, state: RNNState, index: Tensor) -> None:
        """Keep sequences ``index`` (B',), in that order (beam search)."""
        state.reorder(index)


def token_embedding(vocab_size: int, embed_dim: int, pad_id: int | None) -> nn.Embedding:
    """Token embedding initialised uniform in +-0.1 (Zaremba et al., Merity et al.), the pad row zero."""
    embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
    nn.init.uniform_(embedding.weight, -0.1, 0.1)
    if pad_id is not None:
        nn.init.zeros_(embedding.weight[pad_id])
    return embedding


def _rnn(
    cell: str, input_size: int, hidden_size: int, num_layers: int, dropout: float, bidirectional: bool
) -> nn.LSTM | nn.GRU:
    """A batch-first ``nn.LSTM`` or ``nn.GRU`` with PyTorch's init, U(-1/sqrt(hidden_size), +1/sqrt(hidden_size))."""
    if cell not in CELLS:
        raise ZooError(f"cell must be one of {', '.join(CELLS)}, got {cell!r}")
    return CELLS[cell](
        input_size,
        hidden_size,
        num_layers,
        batch_first=True,
        dropout=dropout if num_layers > 1 else 0.0,  # PyTorch applies it between layers only
        bidirectional=bidirectional,
    )
