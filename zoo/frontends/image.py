"""Image front-end: split an image into patches and embed each as a token (ViT).

Dosovitskiy et al., "An Image is Worth 16x16 Words", 2020, https://arxiv.org/abs/2010.11929
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from zoo.errors import ZooError
from zoo.frontends.position import add_grid_positions, grid_positions


class PatchEmbed(nn.Module):
    """Image to tokens: (B, C, H, W) -> (B, P + N, D) after P prefix tokens: a cls token (P = 1),
    a cls and a distillation token (P = 2, DeiT), or none (P = 0).

    Patches come from a strided convolution (kernel ``patch_size``, stride ``stride``), so
    N = ((H - patch_size) / stride + 1) * ((W - patch_size) / stride + 1): (H / patch_size)
    * (W / patch_size) for the usual non-overlapping patches (stride = patch_size); a
    smaller stride gives overlapping patches and more tokens. Position embeddings are
    learned (ViT) or fixed 2-D sin-cos (MAE); a learned grid is resized bicubically when the
    input size differs from ``img_size``.

    Args:
        img_size: training image side (square), sets the position-embedding grid.
        patch_size: patch side in pixels; must tile the image sides with ``stride``.
        in_chans: image channels C.
        embed_dim: token width D.
        pos_embed: "learned" or "sincos".
        cls_token: prepend a learned class token (pooled by ``ClassifierHead(pool="cls")``).
        dist_token: a second learned token after the class token, which a
            ``DistilledClassifierHead`` trains to predict a teacher's labels (DeiT: Touvron et
            al., "Training data-efficient image transformers & distillation through attention",
            2021, https://arxiv.org/abs/2012.12877). Needs ``cls_token``.
        drop: dropout on the tokens after adding positions.
        stride: pixels between patches; None: ``patch_size`` (no overlap).
    """

    def __init__(
        self,
        img_size: int = 224,
        patch_size: int = 16,
        in_chans: int = 3,
        embed_dim: int = 768,
        pos_embed: Literal["learned", "sincos"] = "learned",
        cls_token: bool = True,
        drop: float = 0.0,
        stride: int | None = None,
        dist_token: bool = False,
    ) -> None:
        super().__init__()
        if dist_token and not cls_token:
            raise ZooError("a distillation token follows the class token; set cls_token: true")
        self.patch_size = patch_size
        self.stride = stride or patch_size
        self.in_chans = in_chans
        self.grid = self._grid(img_size, img_size)
        self.num_prefix_tokens = int(cls_token) + int(dist_token)
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=self.stride)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim)) if cls_token else None
        self.dist_token = nn.Parameter(torch.zeros(1, 1, embed_dim)) if dist_token else None
        add_grid_positions(self, pos_embed, self.grid, embed_dim)
        self.drop = nn.Dropout(drop)
        w = self.proj.weight.data
        nn.init.xavier_uniform_(w.view(w.shape[0], -1))  # as a linear layer on flattened patches
        nn.init.zeros_(self.proj.bias)
        if self.cls_token is not None:
            nn.init.normal_(self.cls_token, std=1e-6)
        if self.dist_token is not None:
            nn.init.trunc_normal_(self.dist_token, std=0.02)  # unlike the cls token: the two must differ

    def no_weight_decay(self) -> set[str]:
        """Parameters the optimiser should not decay (see ``zoo.tasks.param_groups``)."""
        return {"pos_embed", "cls_token", "dist_token"}

    def padding_mask(self, x: Tensor) -> None:
        """Images are never padded: None."""
        return None

    def patch_grid(self, x: Tensor) -> tuple[int, int]:
        """(B, C, H, W) -> (rows, cols) of the patch tokens, row-major after the class token."""
        return self._grid(*x.shape[-2:])

    def forward(self, x: Tensor) -> Tensor:
        """(B, C, H, W) -> (B, num_prefix_tokens + N, D)."""
        B, C, H, W = x.shape
        if C != self.in_chans:
            raise ZooError(f"image has {C} channels but the model expects in_chans={self.in_chans}")
        grid = self._grid(H, W)
        x = self.proj(x).flatten(2).transpose(1, 2)  # (B, N, D)
        x = x + grid_positions(self.pos_embed, self.grid, grid)
        prefix = [t.expand(B, -1, -1) for t in (self.cls_token, self.dist_token) if t is not None]
        return self.drop(torch.cat([*prefix, x], dim=1))  # (B, P + N, D)

    def patch_values(self, x: Tensor) -> Tensor:
        """(B, C, H, W) -> (B, N, C * p * p): the pixels each patch token reads, in token order
        (the target of masked-patch pretraining, ``zoo.tasks.masked_autoencoder``)."""
        self._grid(*x.shape[-2:])  # one line of error when the patches do not tile the image
        return F.unfold(x, self.patch_size, stride=self.stride).transpose(1, 2)

    def embed_with_patch_values(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(B, C, H, W) -> (``forward(x)``, ``patch_values(x)``)."""
        return self(x), self.patch_values(x)

    def _grid(self, height: int, width: int) -> tuple[int, int]:
        """Patches along each side; one line of error when they do not tile the image."""
        p, s = self.patch_size, self.stride
        if (height - p) % s or (width - p) % s or min(height, width) < p:
            if s == p:
                raise ZooError(
                    f"image size {height}x{width} is not divisible by patch_size {p}; "
                    f"resize or crop to a multiple of {p}"
                )
            raise ZooError(
                f"image size {height}x{width} is not tiled by patch_size {p} at stride {s}; "
                f"use sides of {p} + a multiple of {s}"
            )
        return (height - p) // s + 1, (width - p) // s + 1

