"""Stochastic depth: drop a whole residual branch per sample.

Huang et al., "Deep Networks with Stochastic Depth", 2016, https://arxiv.org/abs/1603.09382
"""

from __future__ import annotations

from torch import Tensor, nn


class DropPath(nn.Module):
    """Zero the residual branch of each sample with probability ``p``; rescale the rest."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        if self.p == 0.0 or not self.training:
            return x
        keep = 1.0 - self.p
        shape = (x.shape[0],) + (1,) * (x.ndim - 1)  # (B, 1, 1): one draw per sample
        return x * x.new_empty(shape).bernoulli_(keep).div_(keep)

    def extra_repr(self) -> str:
        return f"p={self.p}"
