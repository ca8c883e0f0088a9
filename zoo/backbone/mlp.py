"""Position-wise feed-forward network of a Transformer block."""

from __future__ import annotations

from torch import Tensor, nn


class Mlp(nn.Module):
    """Linear -> activation -> dropout -> Linear -> dropout: (B, N, D) -> (B, N, D).

    Args:
        embed_dim: token width D.
        hidden_dim: inner width, usually ``mlp_ratio * D``.
        act_layer: activation class (GELU in ViT/BERT, ReLU in the 2017 paper).
        drop: dropout after the activation and after the output projection.
    """

    def __init__(
        self,
        embed_dim: int,
        hidden_dim: int,
        act_layer: type[nn.Module] = nn.GELU,
        drop: float = 0.0,
    ) -> None:
        super().__init__()
        self.fc1 = nn.Linear(embed_dim, hidden_dim)
        self.act = act_layer()
        self.fc2 = nn.Linear(hidden_dim, embed_dim)
        self.drop = nn.Dropout(drop)

    def forward(self, x: Tensor) -> Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))
