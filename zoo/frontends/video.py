"""Video front-end: cut a clip into tubelets (3-D patches) and embed each as a token (VATT).

Akbari et al., "VATT: Transformers for Multimodal Self-Supervised Learning from Raw Video,
Audio and Text", 2021, https://arxiv.org/abs/2104.11178 (section 3.2: 4x16x16 tubelets over
32 frames, a linear projection, learned spatio-temporal positions, one [AGG] token)
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from zoo.errors import ZooError


class TubeletEmbed(nn.Module):
    """Video to tokens: (B, C, T, H, W) -> (B, 1 + N, D), N = (T / t) * (H / p) * (W / p), in
    time-major order (all patches of the first tubelet, then the next), after an [AGG] token.

    Each t x p x p tubelet is projected linearly (a Conv3d of that kernel and stride). Positions
    are VATT's factorised buckets: a learned temporal, row and column embedding, summed, so a
    clip of fewer tubelets (shorter, smaller) uses the first buckets of each axis; a clip of more
    than the model was built for is an error that says what to shorten.

    Args:
        num_frames: the most frames T a clip may have (sets the temporal buckets).
        img_size: the largest frame side (square) in pixels (sets the row and column buckets).
        tubelet_frames: frames per tubelet, t.
        patch_size: tubelet side in pixels, p.
        in_chans: frame channels C.
        embed_dim: token width D.
        agg_token: prepend a learned [AGG] token, whose output the projection heads read.
        drop: dropout on the tokens after adding positions.
    """

    def __init__(
        self,
        num_frames: int = 32,
        img_size: int = 224,
        tubelet_frames: int = 4,
        patch_size: int = 16,
        in_chans: int = 3,
        embed_dim: int = 768,
        agg_token: bool = True,
        drop: float = 0.0,
    ) -> None:
        super().__init__()
        if num_frames % tubelet_frames or img_size % patch_size:
            raise ZooError(
                f"num_frames {num_frames} and img_size {img_size} must be multiples of the tubelet "
                f"{tubelet_frames}x{patch_size}x{patch_size}"
            )
        self.tubelet = (tubelet_frames, patch_size, patch_size)
        self.in_chans = in_chans
        self.buckets = (num_frames // tubelet_frames, img_size // patch_size, img_size // patch_size)
        self.num_prefix_tokens = int(agg_token)
        self.proj = nn.Conv3d(in_chans, embed_dim, kernel_size=self.tubelet, stride=self.tubelet)
        self.time_embed = nn.Parameter(torch.zeros(1, self.buckets[0], 1, 1, embed_dim))
        self.row_embed = nn.Parameter(torch.zeros(1, 1, self.buckets[1], 1, embed_dim))
        self.col_embed = nn.Parameter(torch.zeros(1, 1, 1, self.buckets[2], embed_dim))
        self.agg_token = nn.Parameter(torch.zeros(1, 1, embed_dim)) if agg_token else None
        self.drop = nn.Dropout(drop)
        w = self.proj.weight.data
        nn.init.xavier_uniform_(w.view(w.shape[0], -1))  # a linear layer on flattened tubelets
        nn.init.zeros_(self.proj.bias)
        for embed in (self.time_embed, self.row_embed, self.col_embed):
            nn.init.trunc_normal_(embed, std=0.02)
        if self.agg_token is not None:
            nn.init.xavier_normal_(self.agg_token.view(1, -1))  # VATT: glorot normal

    def no_weight_decay(self) -> set[str]:
        """Parameters the optimiser should not decay (see ``zoo.tasks.param_groups``)."""
        return {"time_embed", "row_embed", "col_embed", "agg_token"}

    def padding_mask(self, video: Tensor) -> None:
        """Clips are resampled to a fixed frame count, never padded: None."""
        return

    def patch_grid(self, video: Tensor) -> None:
        """The tokens lie on a (T', H', W') grid (``tubelet_grid``), not a 2-D one: None."""
        return

    def tubelet_grid(self, video: Tensor) -> tuple[int, int, int]:
        """(B, C, T, H, W) -> (T', H', W') tubelets along each axis; one line of error when the
        clip is shorter than one tubelet, not tiled by tubelets, or larger than the buckets."""
        *_, T, H, W = video.shape
        (t, p, _), names = self.tubelet, ("frames", "height", "width")
        if T < t or min(H, W) < p:
            raise ZooError(f"a clip of {T} frames of {H}x{W} is smaller than one {t}x{p}x{p} tubelet")
        if T % t or H % p or W % p:
            raise ZooError(f"a clip of {T} frames of {H}x{W} is not tiled by {t}x{p}x{p} tubelets; resample it")
        grid = (T // t, H // p, W // p)
        for name, size, most, step in zip(names, grid, self.buckets, self.tubelet, strict=True):
            if size > most:
                raise ZooError(f"the clip's {name} ({size * step}) exceeds the model's {most * step}; shorten it")
        return grid

    def forward(self, video: Tensor) -> Tensor:
        """(B, C, T, H, W) -> (B, num_prefix_tokens + T' * H' * W', D)."""
        if video.ndim != 5 or video.shape[1] != self.in_chans:
            raise ZooError(f"a video model takes (B, {self.in_chans}, T, H, W) clips, got shape {tuple(video.shape)}")
        gt, gh, gw = self.tubelet_grid(video)
        x = self.proj(video).permute(0, 2, 3, 4, 1)  # (B, T', H', W', D)
        x = x + self.time_embed[:, :gt] + self.row_embed[:, :, :gh] + self.col_embed[:, :, :, :gw]
        x = x.flatten(1, 3)  # (B, N, D), time-major
        if self.agg_token is not None:
            x = torch.cat([self.agg_token.expand(len(x), -1, -1), x], dim=1)
        return self.drop(x)
