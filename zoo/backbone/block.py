"""Transformer encoder block: self-attention and MLP, each in a residual branch."""

from __future__ import annotations

from typing import Literal

from torch import Tensor, nn

from zoo.backbone.attention import KVCache, MultiHeadAttention
from zoo.backbone.drop_path import DropPath
from zoo.backbone.mlp import Mlp
from zoo.backbone.retention import MultiScaleRetention
from zoo.errors import ZooError


class EncoderBlock(nn.Module):
    """One encoder layer: (B, N, D) -> (B, N, D).

    Pre-norm (modern ViT/GPT-2), ``norm_first=True``::

        x = x + attn(norm1(x));  x = x + mlp(norm2(x))

    Post-norm (the 2017 paper), ``norm_first=False``::

        x = norm1(x + attn(x));  x = norm2(x + mlp(x))

    Both variants have the same parameters and names, so weights move between them.

    Args:
        embed_dim: token width D.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width as a multiple of D.
        qkv_bias: bias on the q, k, v projections.
        drop: dropout after attention and inside the MLP.
        attn_drop: dropout on attention weights.
        drop_path: stochastic-depth rate of this block.
        norm_first: pre-norm when True, post-norm when False.
        act_layer: MLP activation class.
        norm_eps: LayerNorm epsilon (1e-6 in timm's ViT, 1e-12 in BERT).
        mixer: "attention" (``MultiHeadAttention``) or "retention" (``MultiScaleRetention``,
            causal; ``attn_drop`` does not apply). Either is ``attn``, so the keys stay alike.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
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
        self.norm_first = norm_first
        self.norm1 = nn.LayerNorm(embed_dim, eps=norm_eps)
        if mixer == "attention":
            self.attn = MultiHeadAttention(embed_dim, num_heads, qkv_bias, attn_drop, proj_drop=drop)
        elif mixer == "retention":
            self.attn = MultiScaleRetention(embed_dim, num_heads, qkv_bias, proj_drop=drop)
        else:
            raise ZooError(f"mixer must be 'attention' or 'retention', got {mixer!r}")
        self.norm2 = nn.LayerNorm(embed_dim, eps=norm_eps)
        self.mlp = Mlp(embed_dim, int(embed_dim * mlp_ratio), act_layer, drop)
        self.drop_path = DropPath(drop_path)

    def forward(
        self,
        x: Tensor,
        key_padding_mask: Tensor | None = None,
        causal: bool = False,
        kv_cache: KVCache | None = None,
        need_weights: bool = False,
    ) -> Tensor | tuple[Tensor, Tensor]:
        """(B, N, D) -> (B, N, D), or with ``need_weights`` also the (B, H, N, N) attention weights
        that produced it, from the same call (computed by an explicit softmax, not SDPA's kernel)."""
        h = self.norm1(x) if self.norm_first else x
        if need_weights:
            a, weights = self.attn(h, None, key_padding_mask, causal, kv_cache, need_weights=True)
        else:
            a, weights = self.attn(h, None, key_padding_mask, causal, kv_cache), None
        if self.norm_first:
            x = x + self.drop_path(a)
            x = x + self.drop_path(self.mlp(self.norm2(x)))
        else:
            x = self.norm1(x + self.drop_path(a))
            x = self.norm2(x + self.drop_path(self.mlp(x)))
        return (x, weights) if need_weights else x

    def forward_prefix(self, x: Tensor, num_queries: int, key_padding_mask: Tensor | None = None) -> Tensor:
        """Outputs for the first ``num_queries`` tokens only: (B, N, D) -> (B, num_queries, D).

        Every token is still a key and value (cross-attention through the same weights), so
        the result equals ``forward(x)[:, :num_queries]`` without the other N - num_queries
        tokens' projections and MLP.
        """
        if self.norm_first:
            h = self.norm1(x)
            x = x[:, :num_queries] + self.drop_path(self.attn(h[:, :num_queries], h, key_padding_mask))
            return x + self.drop_path(self.mlp(self.norm2(x)))
        x = self.norm1(x[:, :num_queries] + self.drop_path(self.attn(x[:, :num_queries], x, key_padding_mask)))
        return self.norm2(x + self.drop_path(self.mlp(x)))
