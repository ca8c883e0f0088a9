"""Examples held in memory (uint8 images, or any named fields), the DataLoader every
datamodule uses, and the datamodule base that serves its splits through it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import lightning as L
import torch
import torch.distributed as dist
from lightning.pytorch.overrides.distributed import UnrepeatedDistributedSampler
from torch.utils.data import DataLoader, Dataset

from zoo.data.batch import IMAGE, LABEL
from zoo.errors import ZooError


class ImageArrayDataset(Dataset):
    """uint8 images (N, C, H, W) and int labels (N,) -> {"image": transform(image), "label": int}."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform) -> None:
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict:
        return {IMAGE: self.transform(self.images[i]), LABEL: int(self.labels[i])}


class FieldsDataset(Dataset):
    """Equally long sequences, one per batch field -> example i: {field: values[i]}.

    ``FieldsDataset({"audio": waveforms, "label": labels})[3] == {"audio": waveforms[3], "label": labels[3]}``
    (a tensor's rows or a list's items; field names from ``zoo.data.batch``).
    """

    def __init__(self, fields: Mapping[str, Sequence]) -> None:
        lengths = {name: len(values) for name, values in fields.items()}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"fields of different lengths: {lengths}")
        self.fields = dict(fields)
        self.length = next(iter(lengths.values()))

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> dict:
        return {name: values[i] for name, values in self.fields.items()}


def array_loader(
    dataset: Dataset, batch_size: int | None, num_workers: int, shuffle: bool = False, collate_fn=None
) -> DataLoader:
    """Batches of ``dataset`` (stacked, or made by ``collate_fn``); training (``shuffle``) drops a
    last partial batch unless it is the only one. ``batch_size=None``: each item of ``dataset``
    is already a batch (served as it is, whole batches dealt to DDP ranks).

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
        drop_last=shuffle and batch_size is not None and len(dataset) > batch_size,
    )


class SplitsDataModule(L.LightningDataModule):
    """Serves the splits that a subclass's ``setup`` puts in ``datasets`` ({"train", "val",
    optionally "test"}; test falls back to val) through :func:`array_loader`, batched by
    ``collate_fn()``. Subclasses set ``batch_size`` and ``num_workers`` (and ``loader_batch_size``
    None where their datasets hold whole batches)."""

    datasets: dict[str, Dataset] | None = None
    batch_size: int
    num_workers: int

    def collate_fn(self) -> Callable | None:
        """How a list of examples becomes a batch; None: PyTorch's default (stacking)."""
        return None

    @property
    def loader_batch_size(self) -> int | None:
        """Examples per batch the loaders draw; None where each item is already a batch."""
        return self.batch_size

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.held_out_split)

    @property
    def held_out_split(self) -> str:
        """The split testing measures: "test", or "val" for data that has no test split (a
        user's folder), so that its metrics are named for what they are (``val/acc``)."""
        return "test" if self.datasets is None or "test" in self.datasets else "val"

    def _loader(self, name: str, shuffle: bool = False) -> DataLoader:
        if name not in self.datasets:
            raise ZooError(f"this data has no {name} split (it holds {', '.join(self.datasets)})")
        return array_loader(self.datasets[name], self.loader_batch_size, self.num_workers, shuffle, self.collate_fn())
