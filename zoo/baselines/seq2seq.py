"""The Transformer's recurrent twin for translation: a bidirectional LSTM encoder and an LSTM
decoder with attention over its states, the attention's score chosen in the recipe.

- Bahdanau et al., "Neural Machine Translation by Jointly Learning to Align and Translate",
  2014, https://arxiv.org/abs/1409.0473 (additive score)
- Luong et al., "Effective Approaches to Attention-based Neural Machine Translation", 2015,
  https://arxiv.org/abs/1508.04025 (dot and general scores, the attentional hidden state,
  input feeding)

One decoder serves the three scores, as in OpenNMT's global attention: Luong's step, whose
query is the current decoder state, with Bahdanau's additive score as one choice. It obeys
the same ``Seq2SeqModel`` surface as ``EncoderDecoderModel``, so ``zoo.generation.translate``,
``TranslationTask`` and ``zoo translate`` take either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from zoo.baselines.rnn import token_embedding
from zoo.errors import ZooError
from zoo.frontends.text import check_ids

SCORES = ("additive", "dot", "general")


class Attention(nn.Module):
    """Global attention of a (B, H) query over (B, S, H) memory -> (B, H) context, (B, S) weights.

    Scores of query ``q`` and memory state ``m_s``:

    - ``dot`` (Luong): ``q . m_s``
    - ``general`` (Luong): ``q . (W_a m_s)``
    - ``additive`` (Bahdanau): ``v . tanh(W_q q + W_k m_s)``

    The memory's side (``m_s``, ``W_a m_s`` or ``W_k m_s``) is :meth:`keys`, computed once per
    source; padded source positions get no weight. Not ``MultiHeadAttention``: one head, and
    the additive score is not a scaled dot product.
    """

    def __init__(self, score: Literal["additive", "dot", "general"], hidden_size: int) -> None:
        super().__init__()
        if score not in SCORES:
            raise ZooError(f"attention score must be one of {', '.join(SCORES)}, got {score!r}")
        self.score = score
        self.key_proj = None if score == "dot" else nn.Linear(hidden_size, hidden_size, bias=False)
        self.query_proj = nn.Linear(hidden_size, hidden_size) if score == "additive" else None
        self.v = nn.Linear(hidden_size, 1, bias=False) if score == "additive" else None

    def keys(self, memory: Tensor) -> Tensor:
        """(B, S, H) memory -> (B, S, H) what each query is scored against."""
        return memory if self.key_proj is None else self.key_proj(memory)

    def forward(
        self, query: Tensor, keys: Tensor, memory: Tensor, padding_mask: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """(B, H) query, (B, S, H) keys and memory, (B, S) bool padding -> (B, H) context, (B, S) weights."""
        if self.score == "additive":
            scores = self.v(torch.tanh(self.query_proj(query)[:, None] + keys)).squeeze(-1)  # (B, S)
        else:
            scores = torch.bmm(keys, query[:, :, None]).squeeze(-1)  # (B, S)
        if padding_mask is not None:
            scores = scores.masked_fill(padding_mask, float("-inf"))
        weights = scores.float().softmax(dim=-1).to(memory.dtype)
        return torch.bmm(weights[:, None], memory).squeeze(1), weights


@dataclass
class AttentionDecoderState:
    """What the decoder carries between steps, one row per hypothesis.

    ``hidden``: the LSTM's (h, c), each (num_layers, B, H); ``feed``: the last (B, H)
    attentional state (input feeding); ``memory``, ``keys``: (B, S, H); ``padding_mask``:
    (B, S) bool or None.
    """

    hidden: tuple[Tensor, Tensor]
    feed: Tensor
    memory: Tensor
    keys: Tensor
    padding_mask: Tensor | None

    def repeat(self, k: int) -> AttentionDecoderState:
        """Each row ``k`` times in a row (row ``i`` of the result is row ``i // k``)."""
        return self.select(torch.arange(self.feed.shape[0], device=self.feed.device).repeat_interleave(k))

    def select(self, index: Tensor) -> AttentionDecoderState:
        """The rows ``index`` (B',), in that order, as a new state."""
        h, c = self.hidden
        padding = None if self.padding_mask is None else self.padding_mask.index_select(0, index)
        return AttentionDecoderState(
            (h.index_select(1, index), c.index_select(1, index)),
            self.feed.index_select(0, index),
            self.memory.index_select(0, index),
            self.keys.index_select(0, index),
            padding,
        )


class RNNEncoderDecoder(nn.Module):
    """(B, S) source ids, (B, T) target ids (starting with BOS) -> (B, T, V) next-token logits.

    Encoder: embedding -> dropout -> bidirectional LSTM of ``num_layers``, ``hidden_size // 2``
    a direction, over packed sources: the (B, S, H) memory is both directions concatenated,
    and so are each layer's final (h, c), which start the decoder (OpenNMT's ``brnn``).

    Decoder, a target token a step (Luong et al. with input feeding), ``num_layers`` stacked
    ``nn.LSTMCell``s::

        h_t  = LSTM([embed(y_{t-1}); dropout(h~_{t-1})], state)     h~_0 = 0
        a_t  = softmax(score(h_t, memory))     c_t = sum_s a_ts m_s
        h~_t = tanh(W_c [c_t; h_t])            logits_t = generator(dropout(h~_t))

    Args:
        vocab_size: target vocabulary V (and the source's, with ``share_embeddings``).
        source_vocab_size: the source's, when it has its own embedding; None for V.
        embed_dim: token embedding width E.
        hidden_size: H, the decoder's state and the memory's width (even).
        num_layers: stacked LSTM layers, in the encoder and the decoder alike.
        attention: the score, "additive" (Bahdanau), "dot" or "general" (Luong).
        dropout: on embeddings, between stacked layers, and on the attentional state.
        pad_id: the padding id of both vocabularies (right padding).
        share_embeddings: one embedding for source and target (a joint vocabulary).
        tie_weights: the generator's (V, E) weight is the target embedding's (needs E == H).
    """

    def __init__(
        self,
        vocab_size: int,
        source_vocab_size: int | None = None,
        embed_dim: int = 256,
        hidden_size: int = 256,
        num_layers: int = 2,
        attention: Literal["additive", "dot", "general"] = "general",
        dropout: float = 0.1,
        pad_id: int = 0,
        share_embeddings: bool = True,
        tie_weights: bool = True,
    ) -> None:
        super().__init__()
        if hidden_size % 2:
            raise ZooError(f"hidden_size must be even (half of it a direction of the encoder), got {hidden_size}")
        if share_embeddings and source_vocab_size not in (None, vocab_size):
            raise ZooError(
                f"share_embeddings needs one vocabulary: the source has {source_vocab_size} ids, the target {vocab_size}"
            )
        if tie_weights and embed_dim != hidden_size:
            raise ZooError(f"tie_weights needs embed_dim == hidden_size, got {embed_dim} and {hidden_size}")
        self.pad_id, self.num_layers, self.hidden_size = pad_id, num_layers, hidden_size
        self.target_embedding = token_embedding(vocab_size, embed_dim, pad_id)
        self.source_embedding = (
            self.target_embedding
            if share_embeddings
            else token_embedding(source_vocab_size or vocab_size, embed_dim, pad_id)
        )
        between = dropout if num_layers > 1 else 0.0  # PyTorch applies it between layers only
        self.encoder = nn.LSTM(embed_dim, hidden_size // 2, num_layers, batch_first=True, dropout=between,
                               bidirectional=True)  # fmt: skip
        self.decoder = nn.ModuleList(  # cells: input feeding allows one step at a time, and a step of cells is faster than nn.LSTM's
            nn.LSTMCell(embed_dim + hidden_size if i == 0 else hidden_size, hidden_size) for i in range(num_layers)
        )
        self.between = nn.Dropout(between)
        self.attention = Attention(attention, hidden_size)
        self.combine = nn.Linear(2 * hidden_size, hidden_size, bias=False)  # W_c
        self.drop = nn.Dropout(dropout)
        self.generator = nn.Linear(hidden_size, vocab_size)
        nn.init.zeros_(self.generator.bias)
        if tie_weights:
            self.generator.weight = self.target_embedding.weight

    @property
    def vocab_size(self) -> int:
        return self.generator.out_features

    def layer_groups(self) -> list[nn.Module]:
        """Everything before the generator, input to output (for freezing)."""
        embeddings = [self.source_embedding] if self.source_embedding is self.target_embedding else [
            self.source_embedding, self.target_embedding]  # fmt: skip
        return [*embeddings, self.encoder, self.decoder, self.attention, self.combine]

    def source_lengths(self, source: Tensor) -> Tensor:
        """(B, S) right-padded source ids -> (B,) the ids that are not padding (at least 1)."""
        return (source != self.pad_id).sum(dim=1).clamp(min=1)

    def encode(self, source: Tensor) -> AttentionDecoderState:
        """(B, S) source ids -> the decoder's first state: memory, keys, padding and the
        encoder's final states."""
        check_ids(source, self.source_embedding.num_embeddings)
        B, S = source.shape
        lengths = self.source_lengths(source)
        x = self.drop(self.source_embedding(source))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, (h, c) = self.encoder(packed)
        memory, _ = pad_packed_sequence(outputs, batch_first=True, total_length=S)  # (B, S, H), zeros at padding

        def both_directions(state: Tensor) -> Tensor:  # (2L, B, H/2) -> (L, B, H)
            return state.view(self.num_layers, 2, B, -1).transpose(1, 2).reshape(self.num_layers, B, -1)

        padding = torch.arange(S, device=source.device) >= lengths[:, None]
        feed = memory.new_zeros(B, self.hidden_size)
        hidden = (both_directions(h), both_directions(c))
        return AttentionDecoderState(hidden, feed, memory, self.attention.keys(memory), padding)

    def decode(self, target: Tensor, state: AttentionDecoderState) -> tuple[Tensor, Tensor]:
        """(B, n) target ids after those ``state`` has read -> (B, n, H) attentional states and
        (B, n, S) attention weights; advances ``state``."""
        check_ids(target, self.target_embedding.num_embeddings)
        embedded = self.drop(self.target_embedding(target))  # (B, n, E)
        outputs, weights = [], []
        hs, cs = (list(s.unbind(0)) for s in state.hidden)  # num_layers of (B, H) each
        for t in range(target.shape[1]):
            h = torch.cat([embedded[:, t], self.drop(state.feed)], dim=-1)  # (B, E + H): the first cell's input
            for i, cell in enumerate(self.decoder):
                hs[i], cs[i] = cell(h if i == 0 else self.between(h), (hs[i], cs[i]))
                h = hs[i]  # (B, H)
            context, a = self.attention(h, state.keys, state.memory, state.padding_mask)
            state.feed = torch.tanh(self.combine(torch.cat([context, h], dim=-1)))
            outputs.append(state.feed)
            weights.append(a)
        state.hidden = (torch.stack(hs), torch.stack(cs))
        return torch.stack(outputs, dim=1), torch.stack(weights, dim=1)

    def forward(self, source: Tensor, target: Tensor) -> Tensor:
        """(B, S) source ids, (B, T) target ids (shifted right) -> (B, T, V) logits."""
        return self.logits(self.decode(target, self.encode(source))[0])

    def logits(self, outputs: Tensor) -> Tensor:
        """(B, n, H) attentional states -> (B, n, V) logits."""
        return self.generator(self.drop(outputs))

    def condition(self, source: Tensor) -> RNNSourceConditioned:
        """The (B, S) sources encoded once, as an ``AutoregressiveModel`` over targets."""
        return RNNSourceConditioned(self, source)

    def alignment(self, source: Tensor, target: Tensor) -> Tensor:
        """(B, S) source ids, (B, T) target ids -> (B, T, S) attention weights."""
        return self.decode(target, self.encode(source))[1]


class RNNSourceConditioned:
    """An ``RNNEncoderDecoder`` with its (B, S) sources encoded once: an
    ``AutoregressiveModel`` over target ids for ``zoo.generation``'s greedy and beam search.
    A (B * k, N) call reads source ``i // k`` for row ``i``."""

    def __init__(self, model: RNNEncoderDecoder, source: Tensor) -> None:
        self.model, self.encoded = model, model.encode(source)

    @property
    def max_len(self) -> None:
        """No context limit: the state carries any length (``translate`` bounds it by the source)."""
        return None

    def __call__(self, ids: Tensor) -> Tensor:
        """(B * k, N) target ids -> (B * k, N, V) logits, decoded from the encoder's state."""
        state = self.encoded.repeat(ids.shape[0] // self.encoded.feed.shape[0])
        return self.model.logits(self.model.decode(ids, state)[0])

    def init_state(self, batch_size: int, max_len: int | None = None) -> AttentionDecoderState:
        rows = self.encoded.feed.shape[0]
        if batch_size != rows:
            raise ZooError(f"decoding {batch_size} targets for {rows} sources; give one prompt a source")
        return self.encoded.repeat(1)

    def decode_step(self, ids: Tensor, state: AttentionDecoderState) -> Tensor:
        """(B, n) ids after those ``state`` has read -> (B, n, V) logits; advances ``state``."""
        return self.model.logits(self.model.decode(ids, state)[0])

    def reorder_state(self, state: AttentionDecoderState, index: Tensor) -> None:
        """Keep hypotheses ``index`` (B',), in that order."""
        kept = state.select(index)
        state.hidden, state.feed, state.memory = kept.hidden, kept.feed, kept.memory
        state.keys, state.padding_mask = kept.keys, kept.padding_mask
