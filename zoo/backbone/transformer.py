"""The one Transformer encoder stack shared by every domain.

It sees only (B, N, D) tokens and an optional padding mask; position information, class
tokens and patching belong to the front-end, pooling to the head.
"""

from __future__ import annotations

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
    ) -> None:
        super().__init__()
        self.embed_dim = embed_dim
        rates = torch.linspace(0, drop_path, depth).tolist() if depth > 1 else [drop_path]
        self.blocks = nn.ModuleList(
            EncoderBlock(
                embed_dim, num_heads, mlp_ratio, qkv_bias, drop, attn_drop, rate, norm_first, act_layer, norm_eps
            )
            for rate in rates
        )
        self.norm = nn.LayerNorm(embed_dim, eps=norm_eps) if norm_first else nn.Identity()
        self.apply(_init_weights)

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

    def attention_maps(self, x: Tensor, key_padding_mask: Tensor | None = None, causal: bool = False) -> list[Tensor]:
        """Per-block (B, H, N, N) attention weights for input tokens ``x`` (for maps)."""
        maps = []
        for block in self.blocks:
            maps.append(block.attention_map(x, key_padding_mask, causal))
            x = block(x, key_padding_mask, causal)
        return maps

    def make_kv_caches(self, batch_size: int, max_len: int, dtype: torch.dtype = torch.float32) -> list[KVCache]:
        """One empty KV cache per block, on this model's device."""
        attn = self.blocks[0].attn
        device = attn.qkv.weight.device
        return [KVCache(batch_size, attn.num_heads, attn.head_dim, max_len, dtype, device) for _ in self.blocks]


def _init_weights(module: nn.Module) -> None:
    """ViT/BERT initialisation: truncated normal (std 0.02) linear weights, zero biases."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
