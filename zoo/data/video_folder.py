"""Labelled video clips as a LightningDataModule: a user's folder of video files, a folder a label.

Layouts (files end in .mp4, .mkv, .webm, .mov, .avi, ...)::

    DIR/<label>/*.mp4                                  a validation split is carved out
    DIR/train/<label>/*.mp4  DIR/val/<label>/*.mp4     given splits (DIR/test/ optional)

Every clip is decoded once in ``setup`` through the checkpoint's
:class:`~zoo.data.preprocessing.video.VideoPreprocessing` (its frames, frame size and span;
normalised as in training) and kept in memory, so an unreadable file is named before
training starts. Batches are ``{"video": (B, 3, T, S, S), "label": (B,)}``: what a video
classifier (a video Transformer, the video branch of a contrastive model) reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from zoo.data.arrays import FieldsDataset, SplitsDataModule
from zoo.data.batch import LABEL, VIDEO
from zoo.data.image_folder import Split, scan_folder, with_validation
from zoo.data.preprocessing.video import VIDEO_SUFFIXES, VideoPreprocessing


class VideoFolderDataModule(SplitsDataModule):
    """Labelled video clips, decoded as a checkpoint's training clips were.

    Args:
        root: the folder (see the module docstring for layouts).
        preprocessing: the clips' shape, normalisation and fewest frames (a video checkpoint's).
        classes: label order (index i -> classes[i]); default: sorted folder names. Must
            hold exactly the folders' labels.
        val_fraction: share of each label held out for validation when no val/ is given.
        batch_size: clips per batch on each device.
        num_workers: DataLoader worker processes.
    """

    def __init__(
        self,
        root: str | Path,
        preprocessing: VideoPreprocessing,
        classes: Sequence[str] | None = None,
        val_fraction: float = 0.2,
        batch_size: int = 32,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        self.root, self.preprocessing = Path(root), preprocessing
        found = scan_folder(self.root, VIDEO_SUFFIXES, "video files")
        self.splits, self.classes = with_validation(found, classes, val_fraction, self.root)
        self.batch_size, self.num_workers = batch_size, num_workers
        self.datasets: dict[str, FieldsDataset] | None = None  # filled by setup()

    @property
    def description(self) -> str:
        counts = ", ".join(
            f"{len(self.splits[name])} {name}" for name in ("train", "val", "test") if name in self.splits
        )
        return f"video clips {self.root} ({len(self.classes)} labels; {counts} clips)"

    def setup(self, stage: str | None = None) -> None:
        """Decode every clip (once; later calls reuse them). An unreadable file is named."""
        if self.datasets is None:
            self.datasets = {name: self._decode(split) for name, split in self.splits.items()}

    def _decode(self, split: Split) -> FieldsDataset:
        index = {label: i for i, label in enumerate(self.classes)}
        videos = [self.preprocessing.batch([path])[0] for path, _ in split]
        return FieldsDataset({VIDEO: videos, LABEL: torch.tensor([index[label] for _, label in split])})
