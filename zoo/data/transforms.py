"""Image transforms (torchvision transforms v2) on uint8 (C, H, W) tensors."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torchvision.transforms import v2


def image_eval_transform(mean: Sequence[float], std: Sequence[float]) -> v2.Compose:
    """uint8 (C, H, W) -> normalised float (C, H, W)."""
    return v2.Compose([v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean, std)])


def image_train_transform(
    mean: Sequence[float], std: Sequence[float], img_size: int, crop_padding: int = 2, hflip: bool = True
) -> v2.Compose:
    """Random shifted crop and horizontal flip, then :func:`image_eval_transform`."""
    steps = [v2.RandomCrop(img_size, padding=crop_padding)] if crop_padding else []
    steps += [v2.RandomHorizontalFlip()] if hflip else []
    return v2.Compose([*steps, image_eval_transform(mean, std)])
