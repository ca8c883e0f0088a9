"""A user's captioned videos: a folder of video files and a CSV of their captions, and the
DataModule that trains a video + audio + text model on them (:class:`VideoCaptionDataModule`).

Layout::

    DIR/captions.csv        header ``file,caption``; one caption a row, other columns ignored
    DIR/clips/dog.mp4       ``file`` is relative to DIR; a file on several rows has several captions
    DIR/train/captions.csv, DIR/val/captions.csv[, DIR/test/captions.csv]   or given splits

The CSV is read and checked when the dataset is made, so a missing file or an empty caption is
named before training starts; the videos are decoded one example at a time (they are too big
to keep), by :func:`zoo.data.video_io.read_clip`. An example is::

    {"video": (3, T, H, W) float in [0, 1], "audio": (S,) float mono (zeros when the file has
     no audio), "audio_present": () bool, "captions": [str, ...], "file": "clips/dog.mp4"}
"""

from __future__ import annotations

import csv
from functools import partial
from pathlib import Path

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset, Subset

from zoo.data.batch import TEXT, collate
from zoo.data.preprocessing.multimodal import MultimodalPreprocessing
from zoo.data.preprocessing.text import TextPreprocessing
from zoo.data.preprocessing.video import VideoPreprocessing
from zoo.data.video_io import check_clip_options, read_clip
from zoo.errors import ZooError

COLUMNS = ("file", "caption")


class VideoCaptionFolder(Dataset):
    """Videos and their captions, one example per distinct file (in order of first appearance).

    Args:
        root: the folder holding the videos and the captions CSV.
        captions: the CSV's name inside ``root``.
        num_frames: frames per clip (T).
        frame_size: side of the square frames (H = W).
        sample_rate: the audio's rate in Hz.
        seconds: the span read from the start of each file, so every example has the same
            shapes; None: each whole file (then audio lengths differ between files).
    """

    def __init__(
        self,
        root: str | Path,
        *,
        captions: str = "captions.csv",
        num_frames: int,
        frame_size: int,
        sample_rate: int,
        seconds: float | None = None,
    ) -> None:
        check_clip_options(
            num_frames=num_frames,
            frame_size=frame_size,
            sample_rate=sample_rate,
            seconds=seconds,
            start=0.0,
            min_frames=1,
        )
        self.root = Path(root)
        if not self.root.is_dir():
            raise ZooError(f"{self.root}: no such folder; give the folder holding the videos and {captions}")
        grouped: dict[str, list[str]] = {}
        for file, caption in read_captions(self.root / captions, self.root):
            grouped.setdefault(file, []).append(caption)
        self.files: list[str] = list(grouped)
        self.captions: list[list[str]] = list(grouped.values())
        self.num_frames, self.frame_size, self.sample_rate, self.seconds = num_frames, frame_size, sample_rate, seconds

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict:
        clip = read_clip(
            self.root / self.files[index],
            num_frames=self.num_frames,
            frame_size=self.frame_size,
            sample_rate=self.sample_rate,
            seconds=self.seconds,
        )
        silence = torch.zeros(round(clip.duration * self.sample_rate))
        return {
            "video": clip.video,  # (3, T, H, W)
            "audio": silence if clip.audio is None else clip.audio,  # (S,)
            "audio_present": torch.tensor(clip.audio is not None),
            "captions": list(self.captions[index]),
            "file": self.files[index],
        }


def read_captions(path: Path, root: Path) -> list[tuple[str, str]]:
    """A ``file,caption`` CSV -> its (file, caption) rows, captions stripped; a ZooError names the
    line of a row with an empty caption or a file missing from ``root``."""
    if not path.is_file():
        raise ZooError(f"{path}: no captions file; write a CSV with the header 'file,caption' there")
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:  # -sig: a spreadsheet's byte-order mark
            reader = csv.DictReader(f)
            if reader.fieldnames is None:
                raise ZooError(f"{path}: the file is empty; write the header 'file,caption' and a row per caption")
            if not set(COLUMNS) <= set(reader.fieldnames):
                found = ",".join(reader.fieldnames)
                raise ZooError(f"{path}: the header must name the columns file and caption, found {found!r}")
            rows = [(reader.line_num, row["file"], row["caption"]) for row in reader]
    except (UnicodeDecodeError, csv.Error) as err:
        raise ZooError(f"{path}: not a readable UTF-8 CSV ({err}); save it as CSV UTF-8") from None
    if not rows:
        raise ZooError(f"{path}: no captions below the header; add rows 'file,caption'")
    return [_checked_row(path, root, line, file, caption) for line, file, caption in rows]


def _checked_row(path: Path, root: Path, line: int, file: str | None, caption: str | None) -> tuple[str, str]:
    """One CSV row -> (file, stripped caption), or a ZooError naming its line."""
    file, caption = (file or "").strip(), (caption or "").strip()
    if not file:
        raise ZooError(f"{path} line {line}: no file named; give the video's path relative to {root}")
    if not caption:
        raise ZooError(f"{path} line {line}: the caption of {file} is empty; write one or delete the row")
    if not (root / file).is_file():
        raise ZooError(f"{path} line {line}: {file} is not in {root}; fix the name or add the video")
    return file, caption


class VideoCaptionDataModule(L.LightningDataModule):
    """A user's captioned videos for contrastive training (``zoo.tasks.contrastive``): batches of
    ``video`` (B, 3, T, S, S) normalised, ``audio`` (B, S_a), ``audio_present`` (B,) and ``text``
    (B, K, N) caption ids, K = ``num_captions`` (a clip with fewer repeats its own).

    ``root`` holds ``captions.csv`` (``val_fraction`` and ``test_fraction`` of its files are
    held out, by a seeded shuffle) or ``train/``, ``val/`` and optionally ``test/`` folders,
    each with its own. The tokenizer is a byte-level BPE trained on the training captions, or a
    checkpoint's (``tokenizer``: its folder or tokenizer.json, to go on training a zoo model).

    Args:
        root: the folder (see the layout in the module docstring).
        num_frames, frame_size, seconds: the clips' shape, read from each file's start.
        sample_rate: the soundtrack's rate in Hz.
        num_captions: captions per clip in a batch (MIL-NCE's positives).
        vocab_size, max_len: the tokenizer trained when ``tokenizer`` is None, and the longest caption.
        tokenizer: a checkpoint folder or tokenizer.json to read captions with instead.
        mean, std: the frames' normalisation.
        val_fraction, test_fraction: the shares held out of a single ``captions.csv``.
        batch_size, num_workers: the DataLoaders' (decoding runs in the workers).
    """

    def __init__(
        self,
        root: str | Path,
        num_frames: int = 8,
        frame_size: int = 32,
        seconds: float = 3.0,
        sample_rate: int = 8000,
        num_captions: int = 2,
        vocab_size: int = 600,
        max_len: int = 32,
        tokenizer: str | None = None,
        mean: float = 0.45,
        std: float = 0.25,
        val_fraction: float = 0.1,
        test_fraction: float = 0.1,
        batch_size: int = 32,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        if num_captions < 1:
            raise ZooError(f"num_captions must be at least 1, got {num_captions}")
        if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
            raise ZooError(
                f"val_fraction {val_fraction} and test_fraction {test_fraction} must leave clips to train on"
            )
        self.root, self.num_captions, self.tokenizer = Path(root), num_captions, tokenizer
        self.clip = {"num_frames": num_frames, "frame_size": frame_size, "sample_rate": sample_rate, "seconds": seconds}
        self.vocab_size, self.max_len, self.mean, self.std = vocab_size, max_len, mean, std
        self.fractions = (val_fraction, test_fraction)
        self.batch_size, self.num_workers = batch_size, num_workers
        self.preprocessing: MultimodalPreprocessing | None = None  # a checkpoint's, when set before setup

    @property
    def description(self) -> str:
        """One line on the data, for checkpoint cards."""
        counts = ", ".join(f"{len(v):,} {k}" for k, v in getattr(self, "splits", {}).items())
        return f"captioned videos in {self.root}" + (f" ({counts} clips)" if counts else "")

    def setup(self, stage: str | None = None) -> None:
        if hasattr(self, "splits"):
            return
        if self.preprocessing is not None:  # a checkpoint's: its clips' shape, not this module's defaults
            v = self.preprocessing.video
            self.clip = {
                "num_frames": v.num_frames,
                "frame_size": v.frame_size,
                "sample_rate": v.sample_rate,
                "seconds": v.seconds,
            }
        self.splits = self._splits()
        if self.preprocessing is None:
            captions = [c for i in range(len(self.splits["train"])) for c in _captions_of(self.splits["train"], i)]
            text = TextPreprocessing.load_or_train(
                self.tokenizer, captions, self.vocab_size, "encoder", True, self.max_len
            )
            self.preprocessing = MultimodalPreprocessing(
                VideoPreprocessing(**self.clip, mean=self.mean, std=self.std), text
            )

    def _splits(self) -> dict[str, Dataset]:
        """{split: dataset}: the given split folders, or one folder's files shuffled and cut."""
        given = {s: self.root / s for s in ("train", "val", "test") if (self.root / s / "captions.csv").is_file()}
        if given:
            if not {"train", "val"} <= set(given):
                raise ZooError(
                    f"{self.root}: give train/ and val/ folders (each with captions.csv), or one captions.csv"
                )
            return {split: VideoCaptionFolder(folder, **self.clip) for split, folder in given.items()}
        folder = VideoCaptionFolder(self.root, **self.clip)
        order = torch.randperm(len(folder), generator=torch.Generator().manual_seed(0)).tolist()
        n_val, n_test = (round(f * len(folder)) for f in self.fractions)
        n_val = max(n_val, 1)  # validation picks the best checkpoint
        if len(folder) - n_val - n_test < 2:
            raise ZooError(f"{self.root}: {len(folder)} videos are too few to hold out val and test clips and train")
        cuts = {"val": order[:n_val], "test": order[n_val : n_val + n_test], "train": order[n_val + n_test :]}
        return {split: Subset(folder, indices) for split, indices in cuts.items() if indices}

    def _collate(self, examples: list[dict], train: bool = False) -> dict:
        """Examples -> a batch; in training each clip's K captions are drawn at random from its
        own (with repeats where it has fewer), else its first K (repeated where fewer)."""
        p = self.preprocessing
        rows = []
        for example in examples:
            own, K = example["captions"], self.num_captions
            if train:
                picks = torch.randperm(len(own))[:K] if len(own) >= K else torch.randint(len(own), (K,))
                captions = [own[i] for i in picks.tolist()]
            else:
                captions = (own * K)[:K]
            video, ids = p.video.normalize(example["video"]), p.text.batch(captions)  # (3, T, S, S), (K, N)
            rows.append(
                {"video": video, "audio": example["audio"], "audio_present": example["audio_present"], "text": ids}
            )
        return collate(rows, padding={TEXT: p.text.pad_id})

    def _loader(self, split: str, shuffle: bool = False) -> DataLoader:
        if split not in self.splits:
            raise ZooError(f"{self.root} has no {split} clips; give a {split}/ folder or a {split}_fraction")
        return DataLoader(
            self.splits[split],
            batch_size=self.batch_size,
            shuffle=shuffle,
            num_workers=self.num_workers,
            collate_fn=partial(self._collate, train=shuffle),
            drop_last=shuffle and len(self.splits[split]) > self.batch_size,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._loader("test")


def _captions_of(dataset: Dataset, index: int) -> list[str]:
    """An example's captions without decoding its video."""
    if isinstance(dataset, Subset):
        return dataset.dataset.captions[dataset.indices[index]]
    return dataset.captions[index]
