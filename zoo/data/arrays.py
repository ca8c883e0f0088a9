"""Images held in memory as uint8 tensors, and the DataLoader every datamodule uses."""

from __future__ import annotations

import torch
import torch.distributed as dist
from lightning.pytorch.overrides.distributed import UnrepeatedDistributedSampler
from torch.utils.data import DataLoader, Dataset


class ImageArrayDataset(Dataset):
    """uint8 images (N, C, H, W) and int labels (N,) -> (transform(image), label)."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform) -> None:
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.transform(self.images[i]), int(self.labels[i])


def array_loader(
    dataset: Dataset, batch_size: int, num_workers: int, shuffle: bool = False, collate_fn=None
) -> DataLoader:
    """Batches of ``dataset`` (stacked, or made by ``collate_fn``); training (``shuffle``) drops a
    last partial batch unless it is the only one.

    An evaluation loader (no ``shuffle``) under DDP deals each example to exactly one rank.
    Lightning's default ``DistributedSampler`` would repeat examples to give every rank as many
    (a test set of 1,275 on 2 ranks: one snippet tested twice); the ranks may then differ by
    one batch, which evaluation allows (no gradient sync).
    """
    sampler = None
    if not shuffle and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        sampler = UnrepeatedDistributedSampler(dataset, shuffle=False)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        sampler=sampler,
        num_workers=num_workers,
        persistent_workers=num_workers > 0,
        collate_fn=collate_fn,
        drop_last=shuffle and len(dataset) > batch_size,
    )
