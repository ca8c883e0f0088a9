"""The 2017 encoder-decoder Transformer: source front-end -> encoder, target front-end ->
decoder (reading the encoder's output) -> generator.

Vaswani et al., "Attention Is All You Need", 2017, https://arxiv.org/abs/1706.03762; the
composition is the Annotated Transformer's ``EncoderDecoder``. The encoder is the same
``Transformer`` class every classifier's backbone is, so its weights move between them.
"""

from __future__ import annotations

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
