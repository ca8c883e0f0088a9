"""Multi-head attention over (B, N, D) tokens.

Vaswani et al., "Attention Is All You Need", 2017, https://arxiv.org/abs/1706.03762

One class serves self-attention, cross-attention and cached decoding. The query, key and
value projections are one fused ``qkv`` weight of shape (3D, D), laid out like
``nn.MultiheadAttention.in_proj_weight``: self-attention projects once, cross-attention
projects the query from ``x`` with the first D rows and keys/values from ``context`` with
the other 2D rows. Attention runs through ``F.scaled_dot_product_attention`` (flash /
memory-efficient kernels where available); the (N, N) weight matrix is materialised only
when ``need_weights=True``, or where SDPA's math kernel is the faster one (see
:func:`prefers_math_kernel`).

Mask conventions follow ``nn.MultiheadAttention``: ``key_padding_mask`` is (B, Nk) with
True marking padding to ignore.
"""

from __future__ import annotations

import math
from contextlib import nullcontext

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.attention import SDPBackend, sdpa_kernel

from zoo.errors import ZooError


class KVCache(nn.Module):
    """Pre-allocated key/value store for autoregressive decoding.

    Holds (B, H, max_len, Dh) keys and values; each decoding step writes its new positions
    and attends over everything written so far, so a new token costs O(n), not O(n^2).
    """

    def __init__(
        self,
        batch_size: int,
        num_heads: int,
        head_dim: int,
        max_len: int,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        shape = (batch_size, num_heads, max_len, head_dim)
        self.register_buffer("k", torch.zeros(shape, dtype=dtype, device=device), persistent=False)
        self.register_buffer("v", torch.zeros(shape, dtype=dtype, device=device), persistent=False)
        self.length = 0
        self._spare: tuple[Tensor, Tensor] | None = None  # what ``reorder`` writes into next

    @property
    def max_len(self) -> int:
        return self.k.shape[2]

    def reset(self) -> None:
        self.length = 0

    def reorder(self, index: Tensor) -> None:
        """Keep sequences ``index`` (B',) of the batch, in that order (beam search).

        Only the written positions are copied, into a second pair of buffers that then trades
        places with the first: a beam step copies (B', H, length, Dh), not (B', H, max_len, Dh).
        Decoding runs without autograd (``torch.inference_mode``), and so must this.
        """
        shape = (len(index), *self.k.shape[1:])
        if self._spare is None or self._spare[0].shape != shape:
            self._spare = (self.k.new_empty(shape), self.v.new_empty(shape))
        (k, v), n = self._spare, self.length
        torch.index_select(self.k[:, :, :n], 0, index, out=k[:, :, :n])
        torch.index_select(self.v[:, :, :n], 0, index, out=v[:, :, :n])
        self._spare, self.k, self.v = (self.k, self.v), k, v

    def update(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Append (B, H, n, Dh) keys and values; return all (B, H, length, Dh) so far."""
        start, end = self.length, self.length + k.shape[2]
        if end > self.max_len:
            raise ValueError(f"KV cache holds {self.max_len} positions; cannot write up to {end}")
        self.k[:, :, start:end] = k
        self.v[:, :, start:end] = v
        self.length = end
        return self.k[:, :, :end], self.v[:, :, :end]


MATH_KERNEL_MAX_KEYS = 224


def prefers_math_kernel(q: Tensor, k: Tensor) -> bool:
    """Whether SDPA's math kernel beats its flash kernel for this training step.

    On CPU in bfloat16, PyTorch's flash-attention forward + backward is slow for short
    sequences: 2-5x slower than the math kernel (which materialises the (Nq, Nk) weights) at
    17-65 keys, 1.7x at 128; the two cross near 200 keys (197: within +-15 % either way over
    two runs) and from 256 keys flash wins (``benchmarks/attention_kernels.py``).
    Only training steps (``q`` needs a gradient) switch: the forward alone is faster in flash.
    """
    return (
        q.device.type == "cpu" and q.dtype == torch.bfloat16 and q.requires_grad and k.shape[-2] <= MATH_KERNEL_MAX_KEYS
    )


def build_attn_mask(
    key_padding_mask: Tensor | None,
    causal: bool,
    num_queries: int,
    num_keys: int,
    device: torch.device,
) -> Tensor | None:
    """Boolean mask for SDPA, True = may attend; broadcastable to (B, H, Nq, Nk).

    A causal mask is aligned to the bottom right, so with a KV cache the query at position
    ``Nk - Nq + i`` sees keys ``0 .. Nk - Nq + i``.
    """
    mask = None
    if causal and num_queries > 1:  # one query, the newest, sees every key
        ones = torch.ones(num_queries, num_keys, dtype=torch.bool, device=device)
        mask = ones.tril(diagonal=num_keys - num_queries)  # (Nq, Nk)
    if key_padding_mask is not None:
        keep = ~key_padding_mask[:, None, None, :]  # (B, 1, 1, Nk)
        mask = keep if mask is None else keep & mask
    return mask


class MultiHeadAttention(nn.Module):
    """Multi-head scaled dot-product attention: (B, Nq, D) [, (B, Nk, D)] -> (B, Nq, D).

    Args:
        embed_dim: token width D, split into ``num_heads`` heads of D / num_heads.
        num_heads: number of attention heads H.
        qkv_bias: add a bias to the q, k, v projections.
        attn_drop: dropout on the attention weights (training only).
        proj_drop: dropout after the output projection.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        qkv_bias: bool = True,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
    ) -> None:
        super().__init__()
        if embed_dim % num_heads != 0:
            raise ZooError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.qkv = nn.Linear(embed_dim, 3 * embed_dim, bias=qkv_bias)
        self.attn_drop = attn_drop
        self.proj = nn.Linear(embed_dim, embed_dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(
        self,
        x: Tensor,
        context: Tensor | None = None,
        key_padding_mask: Tensor | None = None,
        causal: bool = False,
        kv_cache: KVCache | None = None,
        need_weights: bool = False,
        context_kv: tuple[Tensor, Tensor] | None = None,
    ) -> Tensor | tuple[Tensor, Tensor]:
        """Attend from ``x`` (B, Nq, D) to ``context`` (B, Nk, D), or to ``x`` itself.

        Args:
            x: queries (B, Nq, D).
            context: keys/values source (B, Nk, D) for cross-attention; None for self-attention.
            key_padding_mask: (B, Nk) bool, True marks keys to ignore.
            causal: each query sees only keys at its position or before.
            kv_cache: self-attention cache; new keys/values are appended and all are attended.
            need_weights: also return the (B, H, Nq, Nk) attention weights.
            context_kv: ``context``'s keys and values as :meth:`project_context` gave them, in
                its place: a decoder projects its source once, not at every step. Their batch
                may be a divisor B' of B: row i of ``x`` then reads context row ``i // (B / B')``
                (k beams of one source; ``key_padding_mask`` is then (B', Nk)), and the k
                rows' queries attend as one (B', H, k * Nq, Dh) batch, the context unrepeated.

        Returns:
            (B, Nq, D), or ((B, Nq, D), (B, H, Nq, Nk)) when ``need_weights``.
        """
        if context_kv is not None:
            q, (k, v) = self._project_queries(x), context_kv
        else:
            q, k, v = self._project(x, context)  # each (B, H, N, Dh)
        groups = _rows_per_context(q, k)
        q = _fold_groups(q, groups)  # (B', H, g * Nq, Dh)
        if kv_cache is not None:
            k, v = kv_cache.update(k, v)
        drop = self.attn_drop if self.training else 0.0
        # A plain causal mask without cache or padding goes to SDPA's own causal kernel, unbuilt.
        plain_causal = causal and key_padding_mask is None and q.shape[2] == k.shape[2] and not need_weights
        mask = None if plain_causal else build_attn_mask(key_padding_mask, causal, q.shape[2], k.shape[2], x.device)
        if need_weights:
            out, weights = _attention_with_weights(q, k, v, mask, drop)
        else:
            with sdpa_kernel(SDPBackend.MATH) if prefers_math_kernel(q, k) else nullcontext():
                out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=drop, is_causal=plain_causal)
        out = _unfold_groups(out, groups).transpose(1, 2).flatten(2)  # (B, Nq, D)
        out = self.proj_drop(self.proj(out))
        return (out, _unfold_groups(weights, groups)) if need_weights else out

    def make_cache(self, batch_size: int, max_len: int, dtype: torch.dtype = torch.float32) -> KVCache:
        """An empty self-attention cache for ``batch_size`` sequences of up to ``max_len``, on this module's device."""
        return KVCache(batch_size, self.num_heads, self.head_dim, max_len, dtype, self.qkv.weight.device)

    def project_context(self, context: Tensor) -> tuple[Tensor, Tensor]:
        """Cross-attention's keys and values of ``context`` (B, Nk, D): each (B, H, Nk, Dh)."""
        B, Nk, D = context.shape
        w_kv = self.qkv.weight[D:]
        b_kv = self.qkv.bias[D:] if self.qkv.bias is not None else None
        kv = F.linear(context, w_kv, b_kv).reshape(B, Nk, 2, self.num_heads, self.head_dim)
        k, v = kv.permute(2, 0, 3, 1, 4).unbind(0)  # (B, H, Nk, Dh) each
        return k, v

    def _project_queries(self, x: Tensor) -> Tensor:
        """Cross-attention's queries of ``x`` (B, Nq, D): (B, H, Nq, Dh)."""
        B, Nq, D = x.shape
        b_q = self.qkv.bias[:D] if self.qkv.bias is not None else None
        return F.linear(x, self.qkv.weight[:D], b_q).reshape(B, Nq, self.num_heads, self.head_dim).transpose(1, 2)

    def _project(self, x: Tensor, context: Tensor | None) -> tuple[Tensor, Tensor, Tensor]:
        """Project to per-head q (B, H, Nq, Dh) and k, v (B, H, Nk, Dh)."""
        B, Nq, _ = x.shape
        if context is None:
            qkv = self.qkv(x).reshape(B, Nq, 3, self.num_heads, self.head_dim)
            q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # (B, H, N, Dh) each
            return q, k, v
        return (self._project_queries(x), *self.project_context(context))


def _rows_per_context(q: Tensor, k: Tensor) -> int:
    """How many query rows share each key/value row: (B, ...) queries, (B', ...) keys -> B / B'."""
    if q.shape[0] % k.shape[0]:
        raise ZooError(f"{q.shape[0]} query rows cannot share {k.shape[0]} contexts; give a multiple of {k.shape[0]}")
    return q.shape[0] // k.shape[0]


def _fold_groups(q: Tensor, groups: int) -> Tensor:
    """(B' * g, H, Nq, Dh) -> (B', H, g * Nq, Dh): each context's g rows of queries as one."""
    if groups == 1:
        return q
    B, H, Nq, Dh = q.shape
    return q.view(B // groups, groups, H, Nq, Dh).transpose(1, 2).reshape(B // groups, H, groups * Nq, Dh)


def _unfold_groups(t: Tensor, groups: int) -> Tensor:
    """(B', H, g * Nq, X) -> (B' * g, H, Nq, X): ``_fold_groups`` undone, for outputs and weights."""
    if groups == 1:
        return t
    B, H, N, X = t.shape
    return t.view(B, H, groups, N // groups, X).transpose(1, 2).reshape(B * groups, H, N // groups, X)


def _attention_with_weights(
    q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, dropout_p: float
) -> tuple[Tensor, Tensor]:
    """Explicit softmax(q k^T / sqrt(Dh)) v that also returns the (B, H, Nq, Nk) weights."""
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])  # (B, H, Nq, Nk)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = scores.softmax(dim=-1)
    dropped = F.dropout(weights, p=dropout_p) if dropout_p > 0 else weights
    return dropped @ v, weights
