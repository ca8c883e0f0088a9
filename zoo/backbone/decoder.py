"""The Transformer decoder stack of encoder-decoder models (translation).

The encoder is :class:`zoo.backbone.transformer.Transformer`, unchanged; this stack reads
its output as memory. Like the encoder it sees only (B, N, D) tokens and padding masks:
embeddings, positions and the generator head belong to the model around it.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from zoo.backbone.attention import KVCache
from zoo.backbone.decoder_block import DecoderBlock
from zoo.backbone.transformer import drop_path_rates, init_weights, kv_caches


class TransformerDecoder(nn.Module):
    """A stack of ``depth`` decoder blocks and a final norm: (B, N, D) targets and (B, M, D)
    memory -> (B, N, D).

    Args: as :class:`zoo.backbone.transformer.Transformer` (``norm_first``: pre-norm blocks
    with a final LayerNorm when True, post-norm blocks without one, the 2017 paper's, when False).
    """

    def __init__(
        self,
        embed_dim: int = 192,
        depth: int = 6,
        num_heads: int = 3,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path: float = 0.0,
        norm_first: bool = True,
        act_layer: type[nn.Module] = nn.GELU,
        norm_eps: float = 1e-5,
    ) -> None:
        super().__init__()
        self.embed_dim = embed_dim
        self.blocks = nn.ModuleList(
            DecoderBlock(
                embed_dim, num_heads, mlp_ratio, qkv_bias, drop, attn_drop, rate, norm_first, act_layer, norm_eps
            )
            for rate in drop_path_rates(depth, drop_path)
        )
        self.norm = nn.LayerNorm(embed_dim, eps=norm_eps) if norm_first else nn.Identity()
        self.apply(init_weights)

    def forward(
        self,
        x: Tensor,
        memory: Tensor,
        key_padding_mask: Tensor | None = None,
        memory_padding_mask: Tensor | None = None,
        kv_caches: list[KVCache] | None = None,
        memory_kvs: list[tuple[Tensor, Tensor]] | None = None,
        need_weights: bool = False,
    ) -> Tensor | tuple[Tensor, list[Tensor]]:
        """(B, N, D) targets (each sees itself and those before it), (B, M, D) memory -> (B, N, D),
        and with ``need_weights`` each block's (B, H, N, M) cross-attention weights.

        Args:
            key_padding_mask: (B, N) bool, True at padded targets.
            memory_padding_mask: (B, M) bool, True at padded source tokens.
            kv_caches: one self-attention cache per block (:meth:`make_kv_caches`) for
                step-by-step decoding: ``x`` is then the new positions only.
            memory_kvs: :meth:`project_memory`'s keys and values, computed once per source.
            need_weights: also return the cross-attention weights, one tensor a block.
        """
        weights = []
        for i, block in enumerate(self.blocks):
            cache = kv_caches[i] if kv_caches is not None else None
            memory_kv = memory_kvs[i] if memory_kvs is not None else None
            x = block(x, memory, key_padding_mask, memory_padding_mask, cache, memory_kv, need_weights)
            if need_weights:
                x, w = x
                weights.append(w)
        return (self.norm(x), weights) if need_weights else self.norm(x)

    def project_memory(self, memory: Tensor) -> list[tuple[Tensor, Tensor]]:
        """Each block's cross-attention keys and values of (B, M, D) ``memory``, each
        (B, H, M, Dh): what decoding reuses at every step instead of projecting the source again."""
        return [block.cross_attn.project_context(memory) for block in self.blocks]

    def make_kv_caches(self, batch_size: int, max_len: int, dtype: torch.dtype = torch.float32) -> list[KVCache]:
        """One empty self-attention cache per block, on this model's device."""
        return kv_caches(self.blocks, batch_size, max_len, dtype)
