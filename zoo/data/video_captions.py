"""A user's captioned videos: a folder of video files and a CSV of their captions.

Layout::

    DIR/captions.csv        header ``file,caption``; one caption a row, other columns ignored
    DIR/clips/dog.mp4       ``file`` is relative to DIR; a file on several rows has several captions

The CSV is read and checked when the dataset is made, so a missing file or an empty caption is
named before training starts; the videos are decoded one example at a time (they are too big
to keep), by :func:`zoo.data.video_io.read_clip`. An example is::

    {"video": (3, T, H, W) float in [0, 1], "audio": (S,) float mono (zeros when the file has
     no audio), "audio_present": () bool, "captions": [str, ...], "file": "clips/dog.mp4"}
"""

from __future__ import annotations

import csv
from pathlib import Path

import torch
from torch.utils.data import Dataset

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
