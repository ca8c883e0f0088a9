"""The one Transformer encoder stack shared by every domain.

It sees only (B, N, D) tokens and an optional padding mask; position information, class
tokens and patching belong to the front-end, pooling to the head.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from torch import Tensor, nn

from zoo.backbone.attention import KVCache
from zoo.backbone.block import EncoderBlock
from zoo.errors import ZooError


class Transformer(nn.Module):
    """A stack of ``depth`` encoder blocks and a final norm: (B, N, D) -> (B, N, D).

    Args:
        embed_dim: token width D.
        depth: number of blocks.
        num_heads: attention heads per block.
        mlp_ratio: MLP hidden width as a multiple of D.
        qkv_bias: bias on the q, k, v projections.
        drop: dropout after attention and inside the MLPs.
        attn_drop: dropout on attention weights.
        drop_path: stochastic-depth rate of the last block, rising linearly from 0.
        norm_first: pre-norm blocks with a final LayerNorm (ViT, GPT-2) when True;
            post-norm blocks without one (the 2017 paper, BERT) when False.
        act_layer: MLP activation class.
        norm_eps: LayerNorm epsilon (1e-6 in timm's ViT, 1e-12 in BERT).
        mixer: each block's token mixer: "attention" (softmax, ``MultiHeadAttention``) or
            "retention" (RetNet's causal, linear-cost ``MultiScaleRetention``).
    """

    def __init__(
        self,
        embed_dim: int = 192,
        depth: int = 12,
        num_heads: int = 3,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path: float = 0.0,
        norm_first: bool = True,
        act_layer: type[nn.Module] = nn.GELU,
        norm_eps: float = 1e-5,
        mixer: Literal["attention", "retention"] = "attention",
    ) -> None:
        super().__init__()
        self.embed_dim = embed_dim
        self.blocks = nn.ModuleList(
            EncoderBlock(
                embed_dim, num_heads, mlp_ratio, qkv_bias, drop, attn_drop, rate, norm_first, act_layer, norm_eps, mixer
            )
            for rate in drop_path_rates(depth, drop_path)
        )
        self.norm = nn.LayerNorm(embed_dim, eps=norm_eps) if norm_first else nn.Identity()
        self.apply(init_weights)

    def forward(
        self,
        x: Tensor,
        key_padding_mask: Tensor | None = None,
        causal: bool = False,
        kv_caches: list[KVCache] | None = None,
        num_outputs: int | None = None,
    ) -> Tensor:
        """(B, N, D) tokens, (B, N) bool padding mask (True = pad) -> (B, N, D).

        ``num_outputs``: return only the first ``num_outputs`` tokens, (B, num_outputs, D), for a
        head that reads no others (a class token). The last block then computes outputs for
        those tokens alone, every token still serving as a key and value: the same values as
        slicing the full output, for about ``1 - 1/depth`` of the compute.
        """
        if num_outputs is not None and causal:
            raise ZooError("num_outputs serves class-token heads; causal models need every output")
        *body, last = self.blocks
        for i, block in enumerate(body):
            x = block(x, key_padding_mask, causal, kv_caches[i] if kv_caches is not None else None)
        if num_outputs is None:
            x = last(x, key_padding_mask, causal, kv_caches[-1] if kv_caches is not None else None)
        else:
            x = last.forward_prefix(x, num_outputs, key_padding_mask)
        return self.norm(x)

    def forward_intermediates(
        self,
        x: Tensor,
        indices: int | Sequence[int] | None = None,
        return_attention: bool = False,
        key_padding_mask: Tensor | None = None,
        causal: bool = False,
    ) -> tuple[Tensor, list[Tensor]] | tuple[Tensor, list[Tensor], list[Tensor]]:
        """The output and chosen blocks' hidden states of one pass, as timm's ``forward_intermediates``.

        Args:
            x: (B, N, D) tokens.
            indices: the last ``n`` blocks (an int), block indices (negative from the end), or
                None for every block.
            return_attention: also the chosen blocks' (B, H, N, N) attention weights, each from
                the call that computed the block's output (rows sum to 1 over unmasked keys).
            key_padding_mask, causal: as in ``forward``.

        Returns:
            (the (B, N, D) final-normed output, as ``forward``; the chosen blocks' (B, N, D)
            outputs before the final norm, in block order[; their attention weights]).
        """
        take = take_indices(len(self.blocks), indices)
        hidden, attention = [], []
        for i, block in enumerate(self.blocks):
            if i in take and return_attention:
                x, weights = block(x, key_padding_mask, causal, need_weights=True)
                attention.append(weights)
            else:
                x = block(x, key_padding_mask, causal)
            if i in take:
                hidden.append(x)
        x = self.norm(x)
        return (x, hidden, attention) if return_attention else (x, hidden)

    def make_kv_caches(self, batch_size: int, max_len: int, dtype: torch.dtype = torch.float32) -> list[KVCache]:
        """One empty KV cache per block, on this model's device."""
        return kv_caches(self.blocks, batch_size, max_len, dtype)


def drop_path_rates(depth: int, drop_path: float) -> list[float]:
    """Each of ``depth`` blocks' stochastic-depth rate: from 0 up to ``drop_path``, linearly."""
    return torch.linspace(0, drop_path, depth).tolist() if depth > 1 else [drop_path]


def kv_caches(blocks: nn.ModuleList, batch_size: int, max_len: int, dtype: torch.dtype) -> list[KVCache]:
    """One empty decoding state per block from its token mixer (``attn``): a key/value cache for
    attention, a fixed-size state for retention."""
    return [block.attn.make_cache(batch_size, max_len, dtype) for block in blocks]


def take_indices(depth: int, indices: int | Sequence[int] | None) -> set[int]:
    """Block indices 0..depth-1 that ``indices`` names: the last n for an int, each (negative
    from the end) of a list, all for None."""
    if indices is None:
        return set(range(depth))
    if isinstance(indices, int):
        if not 1 <= indices <= depth:
            raise ZooError(f"indices {indices} must be between 1 and the depth {depth} (the last n blocks)")
        return set(range(depth - indices, depth))
    bad = [i for i in indices if not -depth <= i < depth]
    if bad:
        raise ZooError(f"block indices {bad} are outside a stack of depth {depth} (0..{depth - 1}, or negative)")
    return {i % depth for i in indices}


def init_weights(module: nn.Module) -> None:
    """ViT/BERT initialisation: truncated normal (std 0.02) linear weights, zero biases."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
