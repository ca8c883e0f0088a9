"""DropToken: train on a random share of a clip's video and audio tokens (VATT).

Akbari et al., "VATT", 2021, https://arxiv.org/abs/2104.11178 (section 3.3: keeping 50 % of the
tokens, after positions are added, cuts the cost of self-attention by ~4x at a small loss)
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from zoo.errors import ZooError


class DropToken(nn.Module):
    """(B, P + N, D) tokens -> (B, P + K, D), K = ceil(keep * N), in training; unchanged in eval.

    The P prefix tokens ([AGG]) are always kept; each row keeps its own random K of the N others,
    in their original order, real tokens before padded ones, and the padding mask follows them.
    Positions must already be in the tokens (a front-end adds them), so a kept token still knows
    where it came from.

    Args:
        keep: the share of tokens kept, in (0, 1]; 1 turns it off.
    """

    def __init__(self, keep: float = 0.5) -> None:
        super().__init__()
        if not 0.0 < keep <= 1.0:
            raise ZooError(f"DropToken keeps a share of tokens in (0, 1], got keep={keep}")
        self.keep = keep

    def extra_repr(self) -> str:
        return f"keep={self.keep}"

    def forward(
        self, tokens: Tensor, num_prefix_tokens: int, key_padding_mask: Tensor | None = None
    ) -> tuple[Tensor, Tensor | None]:
        """(B, P + N, D) tokens, (B, P + N) bool mask or None -> the kept tokens and their mask."""
        if not self.training or self.keep == 1.0:
            return tokens, key_padding_mask
        B, total, D = tokens.shape
        n = total - num_prefix_tokens
        k = math.ceil(self.keep * n)
        score = torch.rand(B, n, device=tokens.device)  # (B, N): the lowest k are kept
        if key_padding_mask is not None:
            score = score + key_padding_mask[:, num_prefix_tokens:].float()  # real tokens first
        kept = score.topk(k, dim=1, largest=False).indices.sort(dim=1).values + num_prefix_tokens  # (B, K)
        prefix = torch.arange(num_prefix_tokens, device=tokens.device).expand(B, -1)
        index = torch.cat([prefix, kept], dim=1)  # (B, P + K)
        tokens = tokens.gather(1, index[..., None].expand(-1, -1, D))
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.gather(1, index)
        return tokens, key_padding_mask
