"""The 2017 encoder-decoder Transformer: source front-end -> encoder, target front-end ->
decoder (reading the encoder's output) -> generator.

Vaswani et al., "Attention Is All You Need", 2017, https://arxiv.org/abs/1706.03762; the
composition is the Annotated Transformer's ``EncoderDecoder``. The encoder is the same
``Transformer`` class every classifier's backbone is, so its weights move between them.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from zoo.backbone import Transformer, TransformerDecoder
from zoo.backbone.attention import KVCache
from zoo.contracts import TiedHead, TokenFrontEnd
from zoo.errors import ZooError


class EncoderDecoderModel(nn.Module):
    """(B, S) source ids and (B, T) target ids -> (B, T, V) next-target-token logits.

    Args:
        source_frontend: source ids -> (B, S, D) tokens (a ``TokenFrontEnd``: ``TokenEmbed``).
        encoder: the shared ``Transformer`` (not causal).
        target_frontend: target ids -> (B, T, D) tokens.
        decoder: a ``TransformerDecoder`` of the same width.
        generator: (B, T, D) -> (B, T, V) logits (``LMHead``); with ``tie_weights`` its
            projection is the target embedding (Press & Wolf 2017, as the paper does).
        share_embeddings: one embedding for source and target, for a joint vocabulary (the
            paper's shared BPE): the target front-end uses the source's embedding matrix.
    """

    def __init__(
        self,
        source_frontend: nn.Module,
        encoder: Transformer,
        target_frontend: nn.Module,
        decoder: TransformerDecoder,
        generator: nn.Module,
        share_embeddings: bool = False,
    ) -> None:
        super().__init__()
        if encoder.embed_dim != decoder.embed_dim:
            raise ZooError(f"the encoder is {encoder.embed_dim} wide and the decoder {decoder.embed_dim}; make them equal")
        for name, frontend in (("source", source_frontend), ("target", target_frontend)):
            if not isinstance(frontend, TokenFrontEnd):
                raise ZooError(f"the {name} front-end must embed token ids (TokenEmbed), got {type(frontend).__name__}")
        self.source_frontend, self.encoder = source_frontend, encoder
        self.target_frontend, self.decoder, self.generator = target_frontend, decoder, generator
        if share_embeddings:
            source, target = source_frontend.get_input_embeddings(), target_frontend.get_input_embeddings()
            if source.weight.shape != target.weight.shape:
                raise ZooError(
                    f"share_embeddings needs one vocabulary: the source embeds {tuple(source.weight.shape)}, "
                    f"the target {tuple(target.weight.shape)}"
                )
            target.weight = source.weight  # one (V, D) tensor, two names
        if isinstance(generator, TiedHead) and generator.tie_weights:
            generator.tie_to(target_frontend.get_input_embeddings())

    def layer_groups(self) -> list[nn.Module]:
        """Everything before the generator, input to output (for freezing): the source
        front-end, each encoder block and its final norm, the target front-end, each decoder
        block and its final norm."""
        encoder, decoder = self.encoder, self.decoder
        return [self.source_frontend, *encoder.blocks, encoder.norm, self.target_frontend, *decoder.blocks, decoder.norm]

    def encode(self, source: Tensor) -> tuple[Tensor, Tensor | None]:
        """(B, S) source ids -> the (B, S, D) memory and its (B, S) padding mask (True = pad)."""
        padding = self.source_frontend.padding_mask(source)
        return self.encoder(self.source_frontend(source), padding), padding

    def decode(
        self,
        target: Tensor,
        memory: Tensor,
        memory_padding_mask: Tensor | None = None,
        kv_caches: list[KVCache] | None = None,
        memory_kvs: list[tuple[Tensor, Tensor]] | None = None,
        offset: int = 0,
    ) -> Tensor:
        """(B, T) target ids at positions ``offset ..`` and the memory -> (B, T, D) decoder tokens.

        With ``kv_caches`` (``decoder.make_kv_caches``) and ``memory_kvs``
        (``decoder.project_memory(memory)``) ``target`` is the newest ids only, as in decoding
        step by step; without, the whole target, as in training with teacher forcing (targets
        are right-padded, and a padded position is never attended by a real one: causal).
        """
        padding = None if kv_caches is not None else self.target_frontend.padding_mask(target)
        tokens = self.target_frontend(target, offset)
        return self.decoder(tokens, memory, padding, memory_padding_mask, kv_caches, memory_kvs)

    def forward(self, source: Tensor, target: Tensor) -> Tensor:
        """(B, S) source ids, (B, T) target ids (shifted right: they start with BOS) -> (B, T, V) logits."""
        memory, memory_padding = self.encode(source)
        return self.generator(self.decode(target, memory, memory_padding))

    def source_lengths(self, source: Tensor) -> Tensor:
        """(B, S) right-padded source ids -> (B,) the ids that are not padding."""
        padding = self.source_frontend.padding_mask(source)
        return torch.full_like(source[:, 0], source.shape[1]) if padding is None else (~padding).sum(dim=1)

    def condition(self, source: Tensor) -> SourceConditioned:
        """The (B, S) sources encoded once, as an ``AutoregressiveModel`` over targets."""
        return SourceConditioned(self, source)

    def alignment(self, source: Tensor, target: Tensor) -> Tensor:
        """(B, S) source ids, (B, T) target ids -> (B, T, S): the last decoder block's
        cross-attention weights, averaged over its heads (rows sum to 1 over real source tokens)."""
        memory, memory_padding = self.encode(source)
        tokens = self.target_frontend(target)
        padding = self.target_frontend.padding_mask(target)
        _, weights = self.decoder(tokens, memory, padding, memory_padding, need_weights=True)
        return weights[-1].mean(dim=1)


@dataclass
class DecodingState:
    """What step-by-step decoding of :class:`SourceConditioned` keeps: each decoder block's
    self-attention cache, one row per hypothesis; and the memory, its padding mask and each
    block's cross-attention keys/values, one row per ``rows_per_source`` hypotheses (the k
    beams of a source share its row: the cross-attention reads it for all k at once)."""

    kv_caches: list[KVCache]
    memory_kvs: list[tuple[Tensor, Tensor]]
    memory: Tensor
    memory_padding_mask: Tensor | None
    rows_per_source: int = 1


class SourceConditioned:
    """An ``EncoderDecoderModel`` with its (B, S) source encoded once: an
    ``AutoregressiveModel`` over target ids, so ``zoo.generation``'s greedy and beam search
    decode it as they decode a ``CausalLM``.

    ``init_state`` projects the memory's cross-attention keys and values once per source; each
    step then runs the decoder on the newest ids only. A call on (B * k, N) ids (the uncached
    path, or k beams a source) reads source ``i // k`` for row ``i``, the layout beam search keeps.
    """

    def __init__(self, model: EncoderDecoderModel, source: Tensor) -> None:
        self.model = model
        self.memory, self.memory_padding_mask = model.encode(source)
        if self.memory_padding_mask is not None and not self.memory_padding_mask.any():
            self.memory_padding_mask = None  # no mask to apply at every step

    @property
    def max_len(self) -> int:
        return self.model.target_frontend.max_len

    def __call__(self, ids: Tensor) -> Tensor:
        """(B * k, N) target ids -> (B * k, N, V) logits, decoded from scratch."""
        k = ids.shape[0] // self.memory.shape[0]
        padding = None if self.memory_padding_mask is None else self.memory_padding_mask.repeat_interleave(k, dim=0)
        return self.model.generator(self.model.decode(ids, self.memory.repeat_interleave(k, dim=0), padding))

    def init_state(self, batch_size: int, max_len: int) -> DecodingState:
        if batch_size != self.memory.shape[0]:
            raise ZooError(f"decoding {batch_size} targets for {self.memory.shape[0]} sources; give one prompt a source")
        decoder = self.model.decoder
        caches = decoder.make_kv_caches(batch_size, max_len, self.memory.dtype)
        return DecodingState(caches, decoder.project_memory(self.memory), self.memory, self.memory_padding_mask)

    def decode_step(self, ids: Tensor, state: DecodingState) -> Tensor:
        """(B, n) ids after those ``state`` has seen -> (B, n, V) logits; extends ``state``."""
        offset = state.kv_caches[0].length
        tokens = self.model.decode(
            ids, state.memory, state.memory_padding_mask, state.kv_caches, state.memory_kvs, offset
        )
        return self.model.generator(tokens)

    def reorder_state(self, state: DecodingState, index: Tensor) -> None:
        """Keep hypotheses ``index`` (B',), in that order.

        The self-attention caches are reordered. The memory side is not, as long as the new
        rows stay in blocks of one source each, as beam search keeps them (row i of B * k
        reads source i // k); other orders get the memory side copied, a row a hypothesis.
        """
        for cache in state.kv_caches:
            cache.reorder(index)
        sources = index // state.rows_per_source  # (B',) the source each new row reads
        rows, num_sources = len(index), state.memory.shape[0]
        in_blocks = rows % num_sources == 0 and torch.equal(
            sources, torch.arange(rows, device=index.device) // (rows // num_sources)
        )
        if in_blocks:
            state.rows_per_source = rows // num_sources
            return
        state.memory_kvs = [(k.index_select(0, sources), v.index_select(0, sources)) for k, v in state.memory_kvs]
        state.memory = state.memory.index_select(0, sources)
        if state.memory_padding_mask is not None:
            state.memory_padding_mask = state.memory_padding_mask.index_select(0, sources)
        state.rows_per_source = 1
