"""Position encodings: the 2017 paper's sinusoids, their 2-D form, and resampling of learned ones.

Vaswani et al. 2017 (section 3.5), https://arxiv.org/abs/1706.03762;
2-D sin-cos as in MAE (He et al. 2021), https://arxiv.org/abs/2111.06377
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.errors import ZooError


def sinusoidal_encoding(positions: Tensor | int, dim: int, base: float = 10000.0) -> Tensor:
    """Fixed sinusoids: (N,) positions (or N) -> (N, dim).

    PE(pos, 2i) = sin(pos / base^(2i/dim)),  PE(pos, 2i+1) = cos(pos / base^(2i/dim)).
    """
    if dim % 2 != 0:
        raise ZooError(f"sinusoidal encoding needs an even dim, got {dim}")
    if isinstance(positions, int):
        positions = torch.arange(positions)
    inv_freq = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)  # (dim/2,)
    angles = positions.to(torch.float64)[:, None] * inv_freq[None, :]  # (N, dim/2)
    pe = torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(1)  # interleave: sin, cos, sin, ...
    return pe.float()


def sincos_2d(grid_h: int, grid_w: int, dim: int) -> Tensor:
    """2-D sin-cos encoding of a (grid_h, grid_w) patch grid -> (grid_h * grid_w, dim), row-major.

    Half the channels encode the row, half the column, each with :func:`sinusoidal_encoding`.
    """
    if dim % 4 != 0:
        raise ZooError(f"2-D sin-cos encoding needs dim divisible by 4, got {dim}")
    rows = sinusoidal_encoding(grid_h, dim // 2)  # (Gh, dim/2)
    cols = sinusoidal_encoding(grid_w, dim // 2)  # (Gw, dim/2)
    rows = rows[:, None, :].expand(grid_h, grid_w, dim // 2)
    cols = cols[None, :, :].expand(grid_h, grid_w, dim // 2)
    return torch.cat([rows, cols], dim=-1).reshape(grid_h * grid_w, dim)


def resample_2d(pos_embed: Tensor, old_grid: tuple[int, int], new_grid: tuple[int, int]) -> Tensor:
    """Bicubically resize a learned (1, Gh*Gw, D) grid embedding to another grid size."""
    if old_grid == new_grid:
        return pos_embed
    D = pos_embed.shape[-1]
    grid = pos_embed.reshape(1, *old_grid, D).permute(0, 3, 1, 2)  # (1, D, Gh, Gw)
    grid = F.interpolate(grid, size=new_grid, mode="bicubic", align_corners=False)
    return grid.permute(0, 2, 3, 1).reshape(1, new_grid[0] * new_grid[1], D)


def add_grid_positions(module: nn.Module, kind: str, grid: tuple[int, int], dim: int) -> None:
    """Give ``module`` its ``pos_embed`` for a (Gh, Gw) token grid: "learned", a (1, Gh*Gw, dim)
    parameter (trunc-normal, std 0.02, as ViT), or "sincos", the fixed :func:`sincos_2d` buffer
    (not saved: it is recomputed)."""
    if kind == "learned":
        module.pos_embed = nn.Parameter(torch.zeros(1, grid[0] * grid[1], dim))
        nn.init.trunc_normal_(module.pos_embed, std=0.02)
    elif kind == "sincos":
        module.register_buffer("pos_embed", sincos_2d(*grid, dim)[None], persistent=False)
    else:
        raise ZooError(f"pos_embed must be 'learned' or 'sincos', got {kind!r}")


def grid_positions(pos_embed: Tensor, trained: tuple[int, int], grid: tuple[int, int]) -> Tensor:
    """The (1, Gh*Gw, D) positions of ``add_grid_positions`` for ``grid``: as made for the
    ``trained`` grid, a learned one resized bicubically, sin-cos recomputed."""
    if grid == trained:
        return pos_embed
    if isinstance(pos_embed, nn.Parameter):
        return resample_2d(pos_embed, trained, grid)
    return sincos_2d(*grid, pos_embed.shape[-1]).to(pos_embed)[None]
