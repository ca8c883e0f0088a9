"""Spoken digits "zero" .. "nine", synthesised offline with flite and espeak-ng, embedded in the package.

Each clip is one digit said by one voice at a random speed and pitch, with a random lead-in
and background noise at 10-30 dB SNR, stored as 16 kHz Ogg Opus (about 20 kbit/s) in
``zoo/datasets/embedded/spoken_digits.zip`` laid out as an audio folder::

    train/seven/espeak-en-us+f2_017.ogg     (split / label / voice_take)

The split is by voice: the voices of ``test/`` are never heard in training (nor are those
of ``val/``, but flite's ``kal`` there is the 8 kHz twin of ``kal16`` in training), so the
test accuracy measures generalisation to new voices of the same two synthesisers (not to
human speakers). The set is made by ``python -m zoo.datasets.spoken_digits OUT.zip`` with
Debian's ``flite`` and ``espeak-ng``; the generated speech is ours to embed (CC0).
"""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
import soundfile as sf

from zoo.data.audio_folder import AudioFolderDataModule
from zoo.data.preprocessing.audio import AudioPreprocessing
from zoo.errors import ZooError

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SAMPLE_RATE = 16_000
EMBEDDED = "spoken_digits.zip"

FLITE = {"train": ("kal16", "awb", "rms"), "val": ("kal",), "test": ("slt",)}
ESPEAK_LANGS = ("en", "en-us", "en-gb-scotland", "en-029", "en-gb-x-rp", "en-us-nyc")
ESPEAK_VARIANTS = (
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5",
    "adam", "Alicia", "Andy", "Annie", "aunty", "benjamin", "boris", "david",
    "ed", "edward", "john", "linda", "max", "Michael", "paul", "quincy", "robert", "steph",
    "travis", "victor", "zac", "shelby", "norbert", "anika", "klatt", "klatt3", "grandma", "grandpa",
)  # fmt: skip


def embedded_archive() -> Path:
    """The packaged zip of the embedded set."""
    return Path(str(resources.files("zoo.datasets") / "embedded" / EMBEDDED))


def espeak_voices(seed: int = 0) -> dict[str, list[str]]:
    """``espeak-<lang>+<variant>`` names split 70/10/20 into train/val/test, each variant in one split."""
    rng = random.Random(seed)
    variants = list(ESPEAK_VARIANTS)
    rng.shuffle(variants)
    n_val, n_test = len(variants) // 10, len(variants) // 5
    parts = {"val": variants[:n_val], "test": variants[n_val : n_val + n_test], "train": variants[n_val + n_test :]}
    return {split: [f"espeak-{rng.choice(ESPEAK_LANGS)}+{v}" for v in names] for split, names in parts.items()}


def synthesize(voice: str, word: str, speed: float, pitch: int) -> tuple[np.ndarray, int]:
    """One word by one voice -> (float32 mono samples, sample rate); ``speed`` 1.0 is the voice's
    own, ``pitch`` is espeak-ng's 0-99 (flite voices keep theirs)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "clip.wav")
        if voice.startswith("espeak-"):
            cmd = ["espeak-ng", "-v", voice.removeprefix("espeak-"), "-s", str(round(165 * speed)), "-p", str(pitch)]
            cmd += ["-w", out, word]
        else:
            # flite keeps each voice's own pitch: its f0 target is absolute, not relative
            cmd = ["flite", "-voice", voice, "--setf", f"duration_stretch={1 / speed:.3f}", "-t", word, "-o", out]
        subprocess.run(cmd, check=True, capture_output=True)
        samples, rate = sf.read(out, dtype="float32", always_2d=True)
    return samples.mean(axis=1), rate


def augment(samples: np.ndarray, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Resample to 16 kHz, add a 0-0.3 s lead-in, scale to a random peak and mix in noise at 10-30 dB SNR."""
    import torch
    import torchaudio.functional as AF

    x = AF.resample(torch.from_numpy(samples), rate, SAMPLE_RATE).numpy() if rate != SAMPLE_RATE else samples
    x = np.concatenate([np.zeros(int(rng.uniform(0, 0.3) * SAMPLE_RATE), np.float32), x])
    x = x / max(1e-6, np.abs(x).max()) * rng.uniform(0.3, 0.9)
    noise = rng.standard_normal(len(x)).astype(np.float32)
    if rng.random() < 0.5:  # brown-ish noise: low frequencies, like hum and room rumble
        noise = np.cumsum(noise)
        noise -= np.convolve(noise, np.ones(401) / 401, mode="same")
    snr_db = rng.uniform(10, 30)
    signal_power = float(np.mean(x[np.abs(x) > 0.02] ** 2)) if np.any(np.abs(x) > 0.02) else float(np.mean(x**2))
    noise *= np.sqrt(signal_power / 10 ** (snr_db / 10) / max(1e-12, float(np.mean(noise**2))))
    return np.clip(x + noise, -1, 1).astype(np.float32)


def build(out: Path, takes: int = 3, seed: int = 0) -> dict[str, int]:
    """Write the spoken-digits zip: every voice says every digit ``takes`` times.

    Returns the clip count per split.
    """
    for tool in ("flite", "espeak-ng"):
        if shutil.which(tool) is None:
            raise ZooError(f"{tool} is not installed; apt install flite espeak-ng")
    rng = np.random.default_rng(seed)
    voices = {split: list(FLITE[split]) + names for split, names in espeak_voices(seed).items()}
    counts = dict.fromkeys(voices, 0)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:  # Opus is compressed already
        for split, names in voices.items():
            for voice in names:
                for word in DIGITS:
                    for take in range(takes):
                        samples, rate = synthesize(voice, word, rng.uniform(0.75, 1.35), int(rng.integers(25, 75)))
                        buffer = io.BytesIO()
                        clip = augment(samples, rate, rng)
                        sf.write(buffer, clip, SAMPLE_RATE, format="OGG", subtype="OPUS", compression_level=0.95)
                        archive.writestr(f"{split}/{word}/{voice}_{take:03d}.ogg", buffer.getvalue())
                        counts[split] += 1
    tmp.replace(out)
    return counts


class SpokenDigitsDataModule(AudioFolderDataModule):
    """The embedded spoken digits: 930 train / 150 val / 270 test clips of 10 labels, "zero" .. "nine".

    Split by voice (see the module docstring); the whole set ships, so there is no other variant.

    Args:
        sample_rate: the model's rate (the clips are 16 kHz; others are resampled).
        max_seconds: the longest clip (all are shorter than 1.5 s).
        batch_size: clips per batch on each device.
        num_workers: DataLoader worker processes.
    """

    def __init__(
        self, sample_rate: int = SAMPLE_RATE, max_seconds: float = 1.5, batch_size: int = 32, num_workers: int = 0
    ) -> None:
        preprocessing = AudioPreprocessing(sample_rate, max_seconds)
        super().__init__(embedded_archive(), preprocessing, DIGITS, batch_size=batch_size, num_workers=num_workers)

    @property
    def description(self) -> str:
        counts = ", ".join(f"{len(self.splits[name])} {name}" for name in ("train", "val", "test"))
        return (
            f"spoken digits, embedded ({counts} clips; synthesised by flite and espeak-ng voices "
            "with noise). Split by voice: the test voices are never heard in training; no human speakers"
        )


def held_out(task: str, preprocessing: AudioPreprocessing, variant: str) -> SpokenDigitsDataModule:
    """The 270 test clips, at the checkpoint's rate and length; embedded whole, so one for both variants."""
    return SpokenDigitsDataModule(preprocessing.sample_rate, preprocessing.max_seconds)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m zoo.datasets.spoken_digits OUT.zip")
    print(build(Path(sys.argv[1])))
