"""Labelled audio clips as a LightningDataModule: a user's folder, or a zip with the same layout.

Layouts (files end in .wav, .flac, .ogg, .oga, .opus or .mp3)::

    DIR/<label>/*.wav                                  a validation split is carved out
    DIR/train/<label>/*.wav  DIR/val/<label>/*.wav     given splits (DIR/test/ optional)
    FILE.zip holding train/<label>/*.ogg ...           the same, zipped (the embedded sets)

Every clip is decoded once in ``setup`` through the checkpoint's :class:`AudioPreprocessing`
(mono, the model's rate, at most ``max_seconds``) and kept in memory, so an unreadable file
is named before training starts. Batches are ``{"audio": (B, T), "label": (B,)}``, zero-padded
to their longest clip.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

import torch

from zoo.data.arrays import FieldsDataset, SplitsDataModule
from zoo.data.batch import AUDIO, LABEL, collate
from zoo.data.image_folder import Split, check_splits, scan_folder, with_validation
from zoo.data.preprocessing.audio import AUDIO_SUFFIXES, AudioPreprocessing
from zoo.errors import ZooError


def collate_clips(examples: Sequence[dict]) -> dict:
    """[{"audio": (T_i,), "label": int}] -> {"audio": (B, max T_i) zero-padded, "label": (B,)}."""
    return collate(examples, padding={AUDIO: 0.0})


def scan_zip(path: Path) -> dict[str, Split]:
    """``FILE.zip`` holding ``<split>/<label>/<clip>`` members (splits: train, val, test) ->
    {split: [(member, label)]}, checked as folders are."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(archive.namelist())
    except (OSError, zipfile.BadZipFile) as err:
        raise ZooError(f"{path}: not a readable zip of audio clips ({err})") from None
    splits: dict[str, Split] = {}
    for name in names:
        parts = PurePosixPath(name).parts
        if len(parts) == 3 and parts[0] in ("train", "val", "test") and Path(name).suffix.lower() in AUDIO_SUFFIXES:
            splits.setdefault(parts[0], []).append((Path(name), parts[1]))
    if "train" not in splits:
        raise ZooError(f"{path} holds no train/<label>/ audio clips ({', '.join(AUDIO_SUFFIXES)})")
    check_splits(splits, path, path / "train", AUDIO_SUFFIXES, "audio files")
    return splits


class AudioFolderDataModule(SplitsDataModule):
    """Labelled audio clips, decoded as a checkpoint's training data was.

    Args:
        root: a folder or a zip (see the module docstring for layouts).
        preprocessing: the model's sample rate and longest clip.
        classes: label order (index i -> classes[i]); default: sorted folder names. Must
            hold exactly the folders' labels.
        val_fraction: share of each label held out for validation when no val/ is given.
        batch_size: clips per batch on each device.
        num_workers: DataLoader worker processes.
    """

    def __init__(
        self,
        root: str | Path,
        preprocessing: AudioPreprocessing,
        classes: Sequence[str] | None = None,
        val_fraction: float = 0.2,
        batch_size: int = 32,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        self.root, self.preprocessing = Path(root), preprocessing
        self.zipped = self.root.suffix == ".zip" and self.root.is_file()
        found = scan_zip(self.root) if self.zipped else scan_folder(self.root, AUDIO_SUFFIXES, "audio files")
        self.splits, self.classes = with_validation(found, classes, val_fraction, self.root)
        self.batch_size, self.num_workers = batch_size, num_workers
        self.datasets: dict[str, FieldsDataset] | None = None  # filled by setup()

    @property
    def description(self) -> str:
        counts = ", ".join(
            f"{len(self.splits[name])} {name}" for name in ("train", "val", "test") if name in self.splits
        )
        return f"audio clips {self.root} ({len(self.classes)} labels; {counts} clips)"

    def setup(self, stage: str | None = None) -> None:
        """Decode every clip (once; later calls reuse them). An unreadable file is named."""
        if self.datasets is None:
            self.datasets = {name: self._decode(split) for name, split in self.splits.items()}

    def _decode(self, split: Split) -> FieldsDataset:
        index = {label: i for i, label in enumerate(self.classes)}
        load = self.preprocessing.load
        if self.zipped:
            with zipfile.ZipFile(self.root) as archive:
                clips = [load(io.BytesIO(archive.read(m.as_posix())), f"{self.root}:{m.as_posix()}") for m, _ in split]
        else:
            clips = [load(path) for path, _ in split]
        return FieldsDataset({AUDIO: clips, LABEL: torch.tensor([index[label] for _, label in split])})

    def collate_fn(self) -> Callable:
        return collate_clips
