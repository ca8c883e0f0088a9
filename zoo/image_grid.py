"""Images as one PNG grid, written atomically (``zoo sample``, the GAN's per-epoch samples)."""

from __future__ import annotations

import io
import math
from pathlib import Path

from PIL import Image
from torch import Tensor

from zoo.data.cache import write_atomically


def save_grid(images: Tensor, path: str | Path, padding: int = 2) -> Path:
    """(N, C, H, W) pixels in [0, 1] -> a PNG of ceil(sqrt(N)) columns at ``path``."""
    from torchvision.utils import make_grid

    columns = max(1, math.ceil(math.sqrt(len(images))))
    grid = make_grid(images.detach().float().clamp(0, 1).cpu(), nrow=columns, padding=padding, pad_value=1.0)
    array = grid.mul(255).round().byte().permute(1, 2, 0).numpy()  # make_grid gives grey images 3 channels
    picture = Image.fromarray(array[..., 0] if images.shape[1] == 1 else array)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    path = Path(path)
    write_atomically(path, lambda f: f.write(buffer.getvalue()))
    return path
