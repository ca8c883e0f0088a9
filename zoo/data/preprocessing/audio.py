"""Audio preprocessing: an audio file or a waveform in memory -> a mono clip at the model's rate."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile as sf
import torch
import torchaudio.functional as AF
from torch import Tensor

from zoo.data.preprocessing import input_name
from zoo.errors import ZooError

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3")
AudioInput = str | Path | BinaryIO | tuple[np.ndarray | Tensor, int]  # a file, or (waveform (T,), sample rate)


@dataclass(frozen=True)
class AudioPreprocessing:
    """Any audio -> (T,) float32 mono waveform at ``sample_rate``, T <= sample_rate * max_seconds.

    Files are decoded with ``soundfile`` (wav, flac, ogg/vorbis/opus, mp3), channels averaged
    to mono; a waveform in memory is a pair ``(samples, sample_rate)`` of float samples (T,)
    in [-1, 1] (numpy or torch). Any other sample rate is resampled (an 8 kHz file is
    upsampled: it keeps its 4 kHz bandwidth). Only the first ``max_seconds`` are read, so a
    10-minute file costs what a short one does. Batches are right-padded with zeros, which
    the audio models treat as padding (see ``zoo.frontends.audio``).

    Args:
        sample_rate: the model's rate in Hz.
        max_seconds: the longest clip the model takes; longer files are cut.
    """

    sample_rate: int
    max_seconds: float
    kind: str = "audio"

    def __post_init__(self) -> None:
        if self.sample_rate <= 0 or self.max_seconds <= 0:
            raise ZooError(f"audio preprocessing needs positive sample_rate and max_seconds, got {self}")

    @property
    def max_samples(self) -> int:
        return round(self.sample_rate * self.max_seconds)

    def to_dict(self) -> dict:
        return asdict(self)

    def files(self) -> dict[str, str]:
        return {}

    def load(self, source: AudioInput, name: str | None = None) -> Tensor:
        """A file (path or open binary file) or a ``(waveform, sample_rate)`` pair -> (T,) float32
        waveform; a ZooError names ``name`` (default: the path)."""
        name = name or input_name(source, 1)
        if isinstance(source, (np.ndarray, Tensor)):
            raise ZooError(f"{name}: a waveform needs its sample rate; give the pair (waveform, sample_rate)")
        samples, rate = self._in_memory(source, name) if isinstance(source, tuple) else self._read(source, name)
        if len(samples) == 0:
            raise ZooError(f"{name}: the clip is empty (0 samples); give a clip with sound")
        waveform = samples.mean(dim=1)  # (T,) mono
        if not torch.isfinite(waveform).all():
            raise ZooError(f"{name}: the clip holds NaN or infinite samples")
        if rate != self.sample_rate:
            waveform = AF.resample(waveform, rate, self.sample_rate)
        return waveform[: self.max_samples].contiguous()

    def _read(self, source: str | Path | BinaryIO, name: str) -> tuple[Tensor, int]:
        """A file's first ``max_seconds`` -> ((T, channels) float32 samples, its rate)."""
        if isinstance(source, (str, Path)) and not Path(source).is_file():
            raise ZooError(f"{name}: no such file")
        try:
            with sf.SoundFile(source) as f:
                rate = f.samplerate
                samples = f.read(min(f.frames, math.ceil(self.max_seconds * rate)), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError, TypeError) as err:
            raise ZooError(f"{name}: not a readable audio file ({err}); give wav, flac, ogg or mp3") from None
        return torch.from_numpy(samples), rate

    def _in_memory(self, pair: tuple, name: str) -> tuple[Tensor, int]:
        """``(waveform (T,), sample_rate)`` -> its first ``max_seconds`` as ((T, 1) float32, rate)."""
        if len(pair) != 2 or not isinstance(pair[1], int) or isinstance(pair[1], bool) or pair[1] <= 0:
            raise ZooError(f"{name}: give a waveform as (samples, sample_rate), the rate a positive int in Hz")
        waveform, rate = pair
        samples = torch.as_tensor(waveform.copy() if isinstance(waveform, np.ndarray) else waveform).detach().cpu()
        if samples.ndim != 1 or not samples.is_floating_point():
            raise ZooError(
                f"{name}: a waveform is (samples,) float, got {samples.dtype} of shape {tuple(samples.shape)}; "
                "mix channels to mono and scale to [-1, 1]"
            )
        return samples[: math.ceil(self.max_seconds * rate), None].float(), rate

    def batch(self, inputs: Sequence[AudioInput], first: int = 1) -> Tensor:
        """Audio files or waveforms (in-memory ones numbered from ``first`` in errors) -> the
        model's (B, T) input, right-padded with zeros."""
        return self.collate([self.load(x, input_name(x, i)) for i, x in enumerate(inputs, start=first)])

    def collate(self, waveforms: Sequence[Tensor]) -> Tensor:
        """(T_i,) waveforms -> (B, max T_i), right-padded with zeros."""
        return pad_waveforms(waveforms)


def from_dict(args: dict, files: dict[str, str]) -> AudioPreprocessing:
    return AudioPreprocessing(**args)


def pad_waveforms(waveforms: Sequence[Tensor]) -> Tensor:
    """(T_i,) waveforms -> (B, max T_i), right-padded with zeros (which audio models read as padding)."""
    return torch.nn.utils.rnn.pad_sequence(list(waveforms), batch_first=True)
