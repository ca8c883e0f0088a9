"""Moving Fashion clips written as ordinary files: what ``zoo predict``, ``zoo retrieve`` and
``zoo finetune`` read, and a template for a user's own videos (``zoo data files moving-fashion``)."""

from __future__ import annotations

import csv
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np

from zoo.data.video_io import write_video
from zoo.datasets.moving_fashion import (
    LABEL_PHRASES,
    SPLIT_SEEDS,
    MovingFashionClips,
    MovingFashionDataModule,
)
from zoo.datasets.moving_fashion_render import GARMENT_WORDS, render_frames
from zoo.datasets.moving_fashion_speech import SAMPLE_RATE, soundtrack
from zoo.errors import ZooError


def write_files(
    out: Path, split: str = "test", count: int = 20, variant: str = "embedded", layout: str = "captions"
) -> Path:
    """Write the first ``count`` clips of ``split`` as ordinary files (MPEG-4 video at 8/3 frames
    per second, the speech as AAC), in the layout of a user's videos: what ``zoo predict``,
    ``zoo retrieve`` and ``zoo finetune`` read, and a template for custom data.

    Layouts: ``captions`` (:class:`zoo.data.video_captions.VideoCaptionFolder`):
    ``out/clips/*.mp4`` and ``out/captions.csv`` (``file,caption,label``, a row per caption;
    ``label`` the garment, or empty for two garments); ``labels``
    (:class:`zoo.data.video_folder.VideoFolderDataModule`): ``out/<garment>/*.mp4``, the first
    ``count`` clips of one garment only.
    """
    if layout not in ("captions", "labels"):
        raise ZooError(f"layout must be 'captions' or 'labels', got {layout!r}")
    if count < 1:
        raise ZooError(f"count must be at least 1, got {count}")
    if split not in SPLIT_SEEDS:
        raise ZooError(f"split must be one of {', '.join(SPLIT_SEEDS)}, got {split!r}")
    if out.exists():
        raise ZooError(f"{out} exists; give a new folder (nothing was written)")
    data = MovingFashionDataModule(variant=variant)
    data.setup()
    clips = data.splits[split]
    partial = out.with_name(f".{out.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        written = _write_clips(partial, clips, split, count, layout)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    partial.rename(out)
    print(f"wrote {written} {split} clips to {out}")
    return out


def _write_clips(partial: Path, clips: MovingFashionClips, split: str, count: int, layout: str) -> int:
    """Write up to ``count`` clips of ``layout`` into ``partial``; how many were written."""
    rows, written, i = [], 0, 0
    fps = Fraction(clips.spec.num_frames) / Fraction(clips.spec.seconds)
    while written < count and i < len(clips):
        plan, rng = clips.plan(i)
        i += 1
        single = len(plan.garments) == 1
        if layout == "labels" and not single:
            continue
        frames = render_frames(plan, clips.images, clips.backgrounds, clips.spec)  # (T, S, S, 3) uint8
        audio = soundtrack(rng, plan, clips.bank, clips.spec, SAMPLE_RATE)  # as __getitem__ draws it
        folder = GARMENT_WORDS[plan.garments[0].label][0] if layout == "labels" else "clips"
        name = f"{folder}/{split}_{i - 1:04d}.mp4"
        (partial / folder).mkdir(exist_ok=True)
        write_video(partial / name, frames, fps=fps, audio=audio[None].astype(np.float32), sample_rate=SAMPLE_RATE)
        label = LABEL_PHRASES[plan.garments[0].label] if single else ""
        rows += [(name, caption, label) for caption in dict.fromkeys(plan.captions)]  # two alike: one row
        written += 1
    if layout == "captions":
        with (partial / "captions.csv").open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([("file", "caption", "label"), *rows])
    return written
