"""Multi-scale retention: a causal token mixer of linear cost, in place of softmax attention.

Sun et al., "Retentive Network: A Successor to Transformer for Large Language Models", 2023,
https://arxiv.org/abs/2307.08621

Each head h keeps a fixed decay gamma_h = 1 - 2^(-5 - h) (its own time scale: 32, 64, 128 ...
tokens); queries and keys are rotated by their position (``theta`` as in rotary embeddings,
the paper's Theta), keys scaled by Dh^-1/2. The retention of head h is then, for q, k, v of
(N, Dh) and the causal decay matrix ``D[n, m] = gamma^(n - m)`` for n >= m, else 0:

- parallel (training, O(N^2) like attention)::  Y = (Q K^T * D) V
- recurrent (decoding, an O(1) (Dh, Dh) state per head)::  S_n = gamma S_(n-1) + k_n^T v_n;  y_n = q_n S_n
- chunkwise (long training sequences, O(N C) for chunks of C tokens): the parallel form
  inside a chunk, the recurrent state across chunks.

The three give the same Y (``tests/backbone/test_retention.py``). Y goes through a GroupNorm
per head (which makes the unnormalised sums' scale irrelevant), a swish gate and the output
projection: ``MSR(X) = W_O (swish(X W_G) * GroupNorm(Y))``. The value width is D, not the
paper's 2D (it widens the MLP less to match attention's parameters): here a retention block
has D^2 more parameters (the gate) than an attention block.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.errors import ZooError


def head_decays(num_heads: int) -> Tensor:
    """(H,) log gamma_h, gamma_h = 1 - 2^(-5 - h): the paper's multi-scale decays."""
    return torch.log(1 - 2.0 ** (-5 - torch.arange(num_heads, dtype=torch.float64))).float()


def decay_matrix(length: int, log_decay: Tensor) -> Tensor:
    """(H,) log decays -> (H, N, N) ``D[n, m] = gamma^(n - m)`` for n >= m, zero above the diagonal."""
    n = torch.arange(length, device=log_decay.device)
    distance = n[:, None] - n[None, :]  # (N, N)
    decay = torch.exp(log_decay[:, None, None] * distance.clamp(min=0))
    return decay.masked_fill(distance < 0, 0.0)


def parallel_retention(q: Tensor, k: Tensor, v: Tensor, log_decay: Tensor) -> Tensor:
    """q, k (B, H, N, Dk), v (B, H, N, Dv), (H,) log decays -> (B, H, N, Dv)."""
    return retention_weights(q, k, log_decay) @ v


def retention_weights(q: Tensor, k: Tensor, log_decay: Tensor) -> Tensor:
    """(B, H, N, N) ``Q K^T * D``: what each query retains of each key (signed, unnormalised)."""
    return (q @ k.transpose(-2, -1)) * decay_matrix(q.shape[2], log_decay).to(q.dtype)


def recurrent_retention(q: Tensor, k: Tensor, v: Tensor, log_decay: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
    """One token: q, k (B, H, 1, Dk), v (B, H, 1, Dv), state (B, H, Dk, Dv) ->
    ((B, H, 1, Dv) output, the next state)."""
    state = log_decay.exp().to(state.dtype)[:, None, None] * state + k.transpose(-2, -1) @ v
    return q @ state.to(q.dtype), state


def chunkwise_retention(
    q: Tensor, k: Tensor, v: Tensor, log_decay: Tensor, chunk_size: int, state: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """q, k (B, H, N, Dk), v (B, H, N, Dv) after ``state`` (B, H, Dk, Dv; None: zeros) ->
    ((B, H, N, Dv) output, the state after the last token), ``chunk_size`` tokens at a time.

    Within a chunk of C tokens, position j (0-based) reads the chunk's keys in parallel form and
    the earlier ones through the state, decayed ``gamma^(j + 1)``; the state then moves on by
    ``S = gamma^C S + sum_j gamma^(C - 1 - j) k_j^T v_j``.
    """
    B, H, N, Dk = q.shape
    if state is None:
        state = q.new_zeros(B, H, Dk, v.shape[-1], dtype=torch.promote_types(q.dtype, torch.float32))
    outputs = []
    for start in range(0, N, chunk_size):
        qc, kc, vc = (t[:, :, start : start + chunk_size] for t in (q, k, v))
        C = qc.shape[2]
        j = torch.arange(C, device=q.device)
        into = torch.exp(log_decay[:, None] * (j + 1))[:, :, None].to(q.dtype)  # (H, C, 1)
        outof = torch.exp(log_decay[:, None] * (C - 1 - j))[:, :, None].to(k.dtype)  # (H, C, 1)
        outputs.append(parallel_retention(qc, kc, vc, log_decay) + (qc @ state.to(q.dtype)) * into)
        state = torch.exp(log_decay * C).to(state.dtype)[:, None, None] * state + (kc * outof).transpose(-2, -1) @ vc
    return torch.cat(outputs, dim=2), state


def rotate(x: Tensor, offset: int, theta: float = 10_000.0) -> Tensor:
    """Rotary position (Su et al., 2021), the paper's Theta: (B, H, N, Dh) at positions
    ``offset .. offset + N - 1`` -> the same, each pair of dims (i, i + Dh/2) turned by n * theta^(-2i/Dh)."""
    N, Dh, dtype = x.shape[2], x.shape[3], torch.promote_types(x.dtype, torch.float32)
    frequencies = theta ** (-torch.arange(0, Dh, 2, device=x.device, dtype=dtype) / Dh)  # (Dh/2,)
    angles = torch.arange(offset, offset + N, device=x.device, dtype=dtype)[:, None] * frequencies
    cos, sin = angles.cos().repeat(1, 2).to(x.dtype), angles.sin().repeat(1, 2).to(x.dtype)  # (N, Dh)
    first, second = x.chunk(2, dim=-1)
    return x * cos + torch.cat([-second, first], dim=-1) * sin


class RetentionState(nn.Module):
    """A retention block's decoding state, the counterpart of ``KVCache``: (B, H, Dk, Dv), at
    least float32 (a running sum keeps its precision under bf16), and the tokens seen; its size
    stays the same whatever the length (a KV cache grows by 2 H Dh per token)."""

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
        shape, dtype = (batch_size, num_heads, head_dim, head_dim), torch.promote_types(dtype, torch.float32)
        self.register_buffer("state", torch.zeros(shape, dtype=dtype, device=device), persistent=False)
        self.max_len, self.length = max_len, 0

    def reset(self) -> None:
        self.state.zero_()
        self.length = 0

    def reorder(self, index: Tensor) -> None:
        """Keep sequences ``index`` (B',) of the batch, in that order (beam search)."""
        self.state = self.state.index_select(0, index)


class MultiScaleRetention(nn.Module):
    """Multi-scale retention: (B, N, D) -> (B, N, D), causal, the interface of ``MultiHeadAttention``.

    Args:
        embed_dim: token width D, split into ``num_heads`` heads of Dh = D / H.
        num_heads: heads H, each with its own decay.
        qkv_bias: a bias on the q, k, v projections.
        proj_drop: dropout after the output projection.
        chunk_size: sequences up to this length run in parallel form, longer ones chunkwise in
            chunks of this many tokens (the same outputs; memory O(N C) instead of O(N^2)).
    """

    def __init__(
        self, embed_dim: int, num_heads: int, qkv_bias: bool = True, proj_drop: float = 0.0, chunk_size: int = 256
    ) -> None:
        super().__init__()
        if embed_dim % num_heads != 0:
            raise ZooError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        self.num_heads, self.head_dim, self.chunk_size = num_heads, embed_dim // num_heads, chunk_size
        self.qkv = nn.Linear(embed_dim, 3 * embed_dim, bias=qkv_bias)
        self.gate = nn.Linear(embed_dim, embed_dim)
        self.group_norm = nn.GroupNorm(num_heads, embed_dim, eps=1e-5)
        self.proj = nn.Linear(embed_dim, embed_dim)
        self.proj_drop = nn.Dropout(proj_drop)
        self.register_buffer("log_decay", head_decays(num_heads), persistent=False)

    def forward(
        self,
        x: Tensor,
        context: Tensor | None = None,
        key_padding_mask: Tensor | None = None,
        causal: bool = True,
        kv_cache: RetentionState | None = None,
        need_weights: bool = False,
    ) -> Tensor | tuple[Tensor, Tensor]:
        """Retain over ``x`` (B, N, D) -> (B, N, D) [, (B, H, N, N) weights].

        Retention is causal by construction (``D`` is lower-triangular), so ``causal`` changes
        nothing, and right padding never reaches a real token: ``key_padding_mask`` needs no
        masking. With ``kv_cache`` the N new tokens follow the ``kv_cache.length`` it has seen
        (recurrent form for one, chunkwise for a prompt) and the state moves past them.
        ``need_weights``: each query's ``|Q K^T * D|`` row, normalised to sum to 1 (a map of
        what it retains from where; the values are mixed by the signed weights).
        """
        if context is not None:
            raise ZooError("retention mixes a sequence with itself; it has no cross-attention form")
        B, N, D = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        offset = kv_cache.length if kv_cache is not None else 0
        q, k = rotate(q, offset), rotate(k, offset) * self.head_dim**-0.5
        weights = None
        if kv_cache is not None:
            if offset + N > kv_cache.max_len:
                raise ValueError(
                    f"retention state was made for {kv_cache.max_len} positions; cannot go to {offset + N}"
                )
            if N == 1:
                y, kv_cache.state = recurrent_retention(q, k, v, self.log_decay, kv_cache.state)
            else:  # a prompt: chunks of at most chunk_size after the state
                chunk = min(N, self.chunk_size)
                y, kv_cache.state = chunkwise_retention(q, k, v, self.log_decay, chunk, kv_cache.state)
            kv_cache.length += N
        elif need_weights or N <= self.chunk_size:
            scores = retention_weights(q, k, self.log_decay)
            y = scores @ v
            if need_weights:
                weights = scores.abs() / scores.abs().sum(-1, keepdim=True).clamp(min=torch.finfo(scores.dtype).tiny)
        else:
            y = chunkwise_retention(q, k, v, self.log_decay, self.chunk_size)[0]
        y = self.group_norm(y.transpose(1, 2).reshape(B * N, D)).view(B, N, D)
        out = self.proj_drop(self.proj(F.silu(self.gate(x)) * y))
        return (out, weights) if need_weights else out

    def make_cache(self, batch_size: int, max_len: int, dtype: torch.dtype = torch.float32) -> RetentionState:
        """An empty decoding state for ``batch_size`` sequences of up to ``max_len``, on this module's device."""
        return RetentionState(batch_size, self.num_heads, self.head_dim, max_len, dtype, self.qkv.weight.device)
