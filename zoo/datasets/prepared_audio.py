"""A built-in audio dataset that ``zoo data prepare NAME`` writes as an audio folder in the cache."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import lightning as L
import soundfile as sf
from torch.utils.data import DataLoader

from zoo.data.audio_folder import AudioFolderDataModule
from zoo.data.cache import data_home
from zoo.data.preprocessing.audio import AudioPreprocessing
from zoo.errors import ZooError

SAMPLE_RATE = 16_000  # the prepared clips' rate


def write_audio_folder(
    out: Path, clips: Sequence[tuple[Path, str, str, str]], labels: Sequence[str]
) -> Counter[tuple[str, str]]:
    """Write each (recording, split, label, name) as 16 kHz FLAC at ``out/<split>/<label>/<name>.flac``,
    every split holding every label's folder, so each split reads with the same labels. All of
    it goes to ``out.tmp`` first, renamed to ``out`` once written: an interrupted run leaves no
    half folder. Returns the clips per (split, label)."""
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    load = AudioPreprocessing(SAMPLE_RATE, max_seconds=60.0).load
    counts: Counter[tuple[str, str]] = Counter()
    for path, split, label, name in clips:
        target = tmp / split / label / f"{name}.flac"
        target.parent.mkdir(parents=True, exist_ok=True)
        sf.write(target, load(path).clamp(-1, 1).numpy(), SAMPLE_RATE, format="FLAC", subtype="PCM_16")
        counts[split, label] += 1
    for split in ("train", "val", "test"):
        for label in labels:
            (tmp / split / label).mkdir(parents=True, exist_ok=True)
    tmp.replace(out)
    return counts


class PreparedAudioDataModule(L.LightningDataModule):
    """The prepared folder ``<data cache>/<name>/{train,val,test}/<label>/`` of a built-in set.

    The folder is read in ``setup``, so a recipe builds (and says what is missing) before the
    data is there. Subclasses set ``name``, ``prepare_command`` (what to run when the folder is
    missing), ``classes`` and ``description``.

    Args:
        sample_rate: the model's rate (the prepared clips are 16 kHz).
        max_seconds: clips are cut to their first ``max_seconds``.
        batch_size: clips per batch on each device.
        num_workers: DataLoader worker processes.
        variant: "full", the only one (the recordings are GPL-2 and not embedded).
    """

    name: str
    prepare_command: str
    classes: list[str]

    def __init__(
        self,
        sample_rate: int = 16_000,
        max_seconds: float = 3.0,
        batch_size: int = 64,
        num_workers: int = 0,
        variant: str = "full",
    ) -> None:
        super().__init__()
        if variant != "full":
            raise ZooError(f"{self.name} has only the 'full' variant (not embedded: GPL-2), got {variant!r}")
        self.preprocessing = AudioPreprocessing(sample_rate, max_seconds)
        self.batch_size, self.num_workers = batch_size, num_workers
        self.folder: AudioFolderDataModule | None = None  # the prepared audio folder, read by setup()

    @classmethod
    def held_out_for(cls, preprocessing: AudioPreprocessing, variant: str) -> PreparedAudioDataModule | None:
        """The prepared test clips for ``full``, at the model's rate and clip length; None for
        ``embedded``: the recordings are GPL-2, never embedded."""
        if variant == "embedded":
            return None
        return cls(preprocessing.sample_rate, preprocessing.max_seconds)

    def counts(self, before_setup: str) -> str:
        """"N train, N val, N test" once set up; ``before_setup`` until then."""
        if self.folder is None:
            return before_setup
        return ", ".join(f"{len(self.folder.splits[split]):,} {split}" for split in ("train", "val", "test"))

    def setup(self, stage: str | None = None) -> None:
        """Read and decode the prepared folder (once), or say how to prepare it."""
        if self.folder is None:
            root = data_home() / self.name
            if not (root / "train").is_dir():
                raise ZooError(f"{self.name} data not prepared; run: {self.prepare_command}")
            self.folder = AudioFolderDataModule(
                root, self.preprocessing, self.classes, batch_size=self.batch_size, num_workers=self.num_workers
            )
        self.folder.setup(stage)

    def train_dataloader(self) -> DataLoader:
        return self.folder.train_dataloader()

    def val_dataloader(self) -> DataLoader:
        return self.folder.val_dataloader()

    def test_dataloader(self) -> DataLoader:
        return self.folder.test_dataloader()
