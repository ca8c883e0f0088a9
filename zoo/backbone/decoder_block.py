"""Transformer decoder block: masked self-attention, cross-attention and MLP, each residual."""

from __future__ import annotations

from torch import Tensor, nn

from zoo.backbone.attention import KVCache, MultiHeadAttention
from zoo.backbone.drop_path import DropPath
from zoo.backbone.mlp import Mlp


class DecoderBlock(nn.Module):
    """One decoder layer: (B, N, D) targets attending to (B, M, D) memory -> (B, N, D).

    Pre-norm, ``norm_first=True``::

        x = x + attn(norm1(x), causal);  x = x + cross_attn(cross_norm(x), memory);  x = x + mlp(norm2(x))

    Post-norm (the 2017 paper), ``norm_first=False``::

        x = norm1(x + attn(x, causal));  x = cross_norm(x + cross_attn(x, memory));  x = norm2(x + mlp(x))

    The self-attention and MLP carry ``EncoderBlock``'s names (``norm1``, ``attn``, ``norm2``,
    ``mlp``) and mean the same there, so an encoder block's weights load into them; the
    cross-attention adds ``cross_norm`` and ``cross_attn``. ``nn.TransformerDecoderLayer``'s
    ``norm1``, ``norm2``, ``norm3`` are ``norm1``, ``cross_norm``, ``norm2`` here.

    Args: as :class:`zoo.backbone.block.EncoderBlock`.
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
    ) -> None:
        super().__init__()
        self.norm_first = norm_first
        self.norm1 = nn.LayerNorm(embed_dim, eps=norm_eps)
        self.attn = MultiHeadAttention(embed_dim, num_heads, qkv_bias, attn_drop, proj_drop=drop)
        self.cross_norm = nn.LayerNorm(embed_dim, eps=norm_eps)
        self.cross_attn = MultiHeadAttention(embed_dim, num_heads, qkv_bias, attn_drop, proj_drop=drop)
        self.norm2 = nn.LayerNorm(embed_dim, eps=norm_eps)
        self.mlp = Mlp(embed_dim, int(embed_dim * mlp_ratio), act_layer, drop)
        self.drop_path = DropPath(drop_path)

    def forward(
        self,
        x: Tensor,
        memory: Tensor,
        key_padding_mask: Tensor | None = None,
        memory_padding_mask: Tensor | None = None,
        kv_cache: KVCache | None = None,
        memory_kv: tuple[Tensor, Tensor] | None = None,
        need_weights: bool = False,
    ) -> Tensor | tuple[Tensor, Tensor]:
        """(B, N, D) targets, (B, M, D) memory -> (B, N, D), and with ``need_weights`` the
        cross-attention's (B, H, N, M) weights.

        Args:
            x: the target tokens; each attends to itself and those before it (causal).
            memory: the encoder's output, attended by every target token.
            key_padding_mask: (B, N) bool, True at padded targets.
            memory_padding_mask: (B, M) bool, True at padded source tokens.
            kv_cache: the self-attention's cache for step-by-step decoding.
            memory_kv: ``cross_attn.project_context(memory)``, computed once per source: the
                memory's keys and values, used in place of projecting it again.
            need_weights: also return the cross-attention weights (the source-target alignment).
        """
        residual, weights = self.drop_path, None

        def cross_attend(x: Tensor) -> Tensor:
            nonlocal weights
            out = self.cross_attn(x, memory, memory_padding_mask, context_kv=memory_kv, need_weights=need_weights)
            if need_weights:
                out, weights = out
            return out

        if self.norm_first:
            x = x + residual(self.attn(self.norm1(x), None, key_padding_mask, True, kv_cache))
            x = x + residual(cross_attend(self.cross_norm(x)))
            x = x + residual(self.mlp(self.norm2(x)))
        else:
            x = self.norm1(x + residual(self.attn(x, None, key_padding_mask, True, kv_cache)))
            x = self.cross_norm(x + residual(cross_attend(x)))
            x = self.norm2(x + residual(self.mlp(x)))
        return (x, weights) if need_weights else x
