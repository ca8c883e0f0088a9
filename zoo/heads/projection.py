"""Projection heads: a modality's pooled features -> its embeddings in shared spaces (VATT).

Akbari et al., "VATT", 2021, https://arxiv.org/abs/2104.11178 (section 3.4, the fine and
coarse common spaces): video and audio meet in the fine space ``va`` (512-d in VATT), video and
text in the coarse space ``vt`` (256-d), and video reaches ``vt`` through ``va``:

    video --Linear--BN--ReLU--Linear--BN--> va --ReLU--Linear--BN--> vt
    audio --Linear--> va                     text --Linear--> vt

A head takes the backbone's output at the [AGG] token (or a baseline encoder's pooled
features), (B, D), and returns ``{space: (B, d_space)}``; the task L2-normalises them.
"""

from __future__ import annotations

from torch import Tensor, nn


def post_projection(embed_dim: int, hidden_dim: int | None) -> nn.Module:
    """VATT's post-Transformer projection, Linear + GELU to ``hidden_dim``; identity when None."""
    if hidden_dim is None:
        return nn.Identity()
    return nn.Sequential(nn.Linear(embed_dim, hidden_dim), nn.GELU())


class ProjectionHead(nn.Module):
    """(B, D) pooled features -> ``{space: (B, dim)}`` by one linear layer (VATT's audio -> va
    and text -> vt).

    Args:
        embed_dim: the features' width D.
        space: the shared space's name, e.g. "va" or "vt".
        dim: its width.
        hidden_dim: a Linear + GELU to this width first (VATT's post-Transformer projection).
        batch_norm: end in a BatchNorm, as the video bridge does (not in VATT's audio and text
            heads). Each of its dims then has zero mean and unit variance over a batch, so the
            embeddings cannot collapse onto one point: a small model trained from scratch on
            small batches lowers its early loss that way and then learns slowly, if at all.
    """

    def __init__(
        self, embed_dim: int, space: str, dim: int, hidden_dim: int | None = None, batch_norm: bool = False
    ) -> None:
        super().__init__()
        self.space = space
        self.post = post_projection(embed_dim, hidden_dim)
        self.proj = nn.Linear(hidden_dim or embed_dim, dim, bias=not batch_norm)
        self.norm = nn.BatchNorm1d(dim) if batch_norm else nn.Identity()

    @property
    def spaces(self) -> dict[str, int]:
        """The spaces this head embeds into, with their widths."""
        return {self.space: self.proj.out_features}

    def forward(self, features: Tensor) -> dict[str, Tensor]:
        """(B, D) -> {space: (B, dim)}."""
        return {self.space: self.norm(self.proj(self.post(features)))}


class FineToCoarseHead(nn.Module):
    """(B, D) pooled video features -> ``{fine: (B, fine_dim), coarse: (B, coarse_dim)}``, VATT's
    video bridge: the coarse embedding is computed from the fine one, so the space video shares
    with audio sits beneath the one it shares with text.

    Args:
        embed_dim: the features' width D.
        fine, coarse: the two spaces' names ("va", "vt").
        fine_dim, coarse_dim: their widths (VATT: 512 and 256).
        hidden_dim: a Linear + GELU to this width first (VATT's post-Transformer projection).
    """

    def __init__(
        self,
        embed_dim: int,
        fine: str = "va",
        coarse: str = "vt",
        fine_dim: int = 512,
        coarse_dim: int = 256,
        hidden_dim: int | None = None,
    ) -> None:
        super().__init__()
        self.fine, self.coarse = fine, coarse
        self.post = post_projection(embed_dim, hidden_dim)
        self.to_fine = nn.Sequential(
            nn.Linear(hidden_dim or embed_dim, fine_dim, bias=False),
            nn.BatchNorm1d(fine_dim),
            nn.ReLU(),
            nn.Linear(fine_dim, fine_dim, bias=False),
            nn.BatchNorm1d(fine_dim),
        )
        self.to_coarse = nn.Sequential(
            nn.ReLU(), nn.Linear(fine_dim, coarse_dim, bias=False), nn.BatchNorm1d(coarse_dim)
        )

    @property
    def spaces(self) -> dict[str, int]:
        """The spaces this head embeds into, with their widths."""
        return {self.fine: self.to_fine[-1].num_features, self.coarse: self.to_coarse[-1].num_features}

    def forward(self, features: Tensor) -> dict[str, Tensor]:
        """(B, D) -> {fine: (B, fine_dim), coarse: (B, coarse_dim)}."""
        fine = self.to_fine(self.post(features))
        return {self.fine: fine, self.coarse: self.to_coarse(fine)}
