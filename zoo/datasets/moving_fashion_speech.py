"""The spoken half of Moving Fashion: each garment's name in a carrier phrase, by several voices.

Voices are Debian's offline synthesisers, ``flite`` (natural voices kal, kal16, awb, rms, slt)
and ``espeak-ng`` (formant voices with variants). Voices and one carrier phrase are held out:
the test clips speak with voices and a phrase no training clip has. The synthesised bank is
a zip of 8 kHz FLAC files, ``<split>/<voice>/<class>-<carrier>.flac``.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zoo.errors import ZooError

SAMPLE_RATE = 8_000
SPOKEN_NAMES = ("t-shirt", "trousers", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")
CARRIERS = {"train": ("here is the {}", "now the {}", "look at the {}", "{}"), "test": ("there goes the {}",)}


@dataclass(frozen=True)
class Voice:
    """One synthetic speaker: ``engine`` "flite" or "espeak-ng" and the voice it is given."""

    engine: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.engine}-{self.name}".replace("+", "_")


VOICES = {
    "train": (
        Voice("flite", "kal"),
        Voice("flite", "kal16"),
        Voice("flite", "awb"),
        Voice("flite", "rms"),
        Voice("espeak-ng", "en-us"),
        Voice("espeak-ng", "en-gb+f2"),
        Voice("espeak-ng", "en-gb-scotland"),
        Voice("espeak-ng", "en-us+m3"),
    ),
    "test": (Voice("flite", "slt"), Voice("espeak-ng", "en-gb-x-rp+f4"), Voice("espeak-ng", "en-029+m7")),
}
EMBEDDED_VOICES = {"train": VOICES["train"][:2] + VOICES["train"][4:6], "test": VOICES["test"][:2]}
EMBEDDED_CARRIERS = {"train": CARRIERS["train"][:2], "test": CARRIERS["test"]}


def synthesise(text: str, voice: Voice) -> np.ndarray:
    """``text`` spoken by ``voice`` -> (S,) float32 at :data:`SAMPLE_RATE`, silence trimmed."""
    import soundfile as sf
    import torch
    import torchaudio.functional as AF

    if shutil.which(voice.engine) is None:
        raise ZooError(f"{voice.engine} is not installed; run: apt-get install flite espeak-ng")
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "speech.wav")
        if voice.engine == "flite":
            command = ["flite", "-voice", voice.name, "-t", text, "-o", wav]
        else:
            command = ["espeak-ng", "-v", voice.name, "-w", wav, text]
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        samples, rate = sf.read(wav, dtype="float32", always_2d=True)
    samples = AF.resample(torch.from_numpy(samples.mean(axis=1)), rate, SAMPLE_RATE).numpy()
    loud = np.flatnonzero(np.abs(samples) > 0.02 * np.abs(samples).max())
    return samples[loud[0] : loud[-1] + 1] if len(loud) else samples


def build_bank(out: Path, voices: dict[str, tuple[Voice, ...]], carriers: dict[str, tuple[str, ...]]) -> Path:
    """Synthesise every (split, voice, class, carrier) utterance into the zip ``out``, atomically."""
    import soundfile as sf

    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED) as archive:  # FLAC is compressed already
        for split in ("train", "test"):
            for voice in voices[split]:
                for label, name in enumerate(SPOKEN_NAMES):
                    for c, carrier in enumerate(carriers[split]):
                        buffer = io.BytesIO()
                        sf.write(buffer, synthesise(carrier.format(name), voice), SAMPLE_RATE, format="FLAC")
                        archive.writestr(f"{split}/{voice.key}/{label}-{c}.flac", buffer.getvalue())
    partial.replace(out)
    return out


def read_bank(path: Path) -> dict[str, list[tuple[int, str, np.ndarray]]]:
    """The bank's utterances by split: [(class, voice key, (S,) float32 samples)]."""
    import soundfile as sf

    bank: dict[str, list[tuple[int, str, np.ndarray]]] = {"train": [], "test": []}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in sorted(archive.namelist()):
                split, voice, stem = member.removesuffix(".flac").split("/")
                samples, _ = sf.read(io.BytesIO(archive.read(member)), dtype="float32")
                bank[split].append((int(stem.split("-")[0]), voice, samples))
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise ZooError(f"{path} is not a readable speech bank ({err}); run: zoo data prepare moving-fashion") from None
    return bank


def soundtrack(
    rng: np.random.Generator, plan, bank: list[tuple[int, str, np.ndarray]], spec, sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """The clip's audio, (round(seconds * rate),) float32: one voice says each garment's name as
    it appears (the first within 0.2 s of the start, the second as it enters, after the first
    has finished), each at a random speed (0.9-1.1x) and loudness, over faint noise.

    Args:
        rng: the clip's generator, after its plan was drawn.
        plan: the clip's ``ClipPlan``.
        bank: the split's utterances, [(class, voice key, samples)].
        spec: the clip's ``ClipSpec``.
    """
    total = round(spec.seconds * sample_rate)
    audio = rng.normal(0.0, 0.003, total).astype(np.float32)
    voices = sorted({voice for _, voice, _ in bank})
    voice = voices[int(rng.integers(len(voices)))]
    cursor = 0
    for garment in plan.garments:
        choices = [samples for label, v, samples in bank if v == voice and label == garment.label]
        speech = _stretch(choices[int(rng.integers(len(choices)))], float(rng.uniform(0.9, 1.1)))
        enters = garment.first_frame / spec.num_frames * spec.seconds + float(rng.uniform(0.0, 0.2))
        start = max(round(enters * sample_rate), cursor)
        end = min(start + len(speech), total)
        if start < end:
            audio[start:end] += float(rng.uniform(0.5, 1.0)) * speech[: end - start] / max(np.abs(speech).max(), 1e-6)
        cursor = start + len(speech) + round(0.05 * sample_rate)
    return audio.clip(-1.0, 1.0)


def _stretch(samples: np.ndarray, speed: float) -> np.ndarray:
    """Play ``samples`` ``speed`` times as fast (linear interpolation: pitch moves with it)."""
    positions = np.arange(0.0, len(samples) - 1, speed)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)
