"""Multimodal preprocessing: video files (their frames and soundtrack) and captions -> what a
video + audio + text model reads."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor

from zoo.data.preprocessing import input_name
from zoo.data.preprocessing.text import TextPreprocessing
from zoo.data.preprocessing.text import from_dict as text_from_dict
from zoo.errors import ZooError

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mkv", ".webm", ".mov", ".avi", ".mpg", ".mpeg", ".ogv", ".ts", ".gif")


class MultimodalPreprocessing:
    """Video files -> clips of ``num_frames`` frames of ``frame_size`` pixels over ``seconds``
    and their soundtrack at ``sample_rate``; strings -> caption ids.

    A file is decoded by :func:`zoo.data.video_io.read_clip` (PyAV: any container, codec,
    resolution, frame rate, channel count and sample rate); frames are normalised as in
    training, ``(x - mean) / std``. A file without an audio track gives silence and
    ``audio_present`` False, so its video and text still work. Captions go through ``text``
    (the tokenizer the checkpoint stores); zero-shot labels are put into ``prompts``, each
    with ``{}`` for the label, and their embeddings averaged (CLIP's prompt ensembling).

    Args:
        text: the captions' preprocessing.
        num_frames, frame_size, seconds: the clip's shape (T, H = W) and the span read from
            each file's start.
        sample_rate: the soundtrack's rate in Hz.
        mean, std: the frames' normalisation.
        prompts: zero-shot prompt templates, e.g. ``["a video of {}"]``.
    """

    kind = "multimodal"

    def __init__(
        self,
        text: TextPreprocessing,
        num_frames: int,
        frame_size: int,
        seconds: float,
        sample_rate: int,
        mean: float = 0.0,
        std: float = 1.0,
        prompts: Sequence[str] = ("{}",),
    ) -> None:
        if not prompts or any(p.count("{}") != 1 for p in prompts):
            raise ZooError(f"each zero-shot prompt needs one '{{}}' where the label goes, got {list(prompts)}")
        self.text = text
        self.num_frames, self.frame_size, self.seconds, self.sample_rate = num_frames, frame_size, seconds, sample_rate
        self.mean, self.std, self.prompts = mean, std, list(prompts)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "num_frames": self.num_frames,
            "frame_size": self.frame_size,
            "seconds": self.seconds,
            "sample_rate": self.sample_rate,
            "mean": self.mean,
            "std": self.std,
            "prompts": self.prompts,
            "max_len": self.text.max_len,
        }

    def files(self) -> dict[str, str]:
        return self.text.files()

    def clips(self, files: Sequence[str | Path], first: int = 1, min_frames: int = 1) -> dict[str, Tensor]:
        """Video files -> ``video`` (B, 3, T, S, S) normalised, ``audio`` (B, S_a) and
        ``audio_present`` (B,) bool; a ZooError names the first file that cannot be read, or
        one with fewer than ``min_frames`` decodable frames (a model's tubelet)."""
        from zoo.data.video_io import read_clip

        videos, sounds, present = [], [], []
        for i, file in enumerate(files, start=first):
            if not isinstance(file, (str, Path)):
                raise ZooError(f"{input_name(file, i)}: give a video as the path of its file")
            clip = read_clip(
                file,
                num_frames=self.num_frames,
                frame_size=self.frame_size,
                sample_rate=self.sample_rate,
                seconds=self.seconds,
                min_frames=min_frames,
            )
            videos.append((clip.video - self.mean) / self.std)
            sounds.append(clip.audio if clip.audio is not None else torch.zeros(round(self.seconds * self.sample_rate)))
            present.append(clip.audio is not None)
        return {"video": torch.stack(videos), "audio": torch.stack(sounds), "audio_present": torch.tensor(present)}

    def load(self, inputs: Sequence, modality: str, first: int = 1, min_frames: int = 1) -> Tensor:
        """One modality's raw inputs -> its model input: ``video`` (B, 3, T, S, S) from video
        files; ``audio`` (B, S_a) from video files' soundtracks, audio files or ``(waveform,
        sample_rate)`` pairs; ``text`` (B, N) ids from strings."""
        if modality == "text":
            return self.captions(inputs, first)
        if modality == "video":
            return self.clips(inputs, first, min_frames)["video"]
        if modality != "audio":
            raise ZooError(f"modality must be video, audio or text, got {modality!r}")
        from zoo.data.preprocessing.audio import AudioPreprocessing

        sounds = AudioPreprocessing(self.sample_rate, self.seconds)
        waveforms = []
        for i, source in enumerate(inputs, start=first):
            if isinstance(source, (str, Path)) and is_video_file(source):
                clip = self.clips([source], i)
                if not clip["audio_present"][0]:
                    raise ZooError(f"{source}: the video has no audio track; give one with sound, or an audio file")
                waveforms.append(clip["audio"][0])
            else:
                waveforms.append(sounds.load(source, input_name(source, i)))
        length = round(self.seconds * self.sample_rate)
        return torch.stack([torch.nn.functional.pad(w, (0, length - len(w))) for w in waveforms])

    def batch(self, inputs: Sequence[str | Path], first: int = 1) -> Tensor:
        """Video files -> the model's (B, 3, T, S, S) video input."""
        return self.clips(inputs, first)["video"]

    def captions(self, texts: Sequence[str], first: int = 1) -> Tensor:
        """Strings -> (B, N) right-padded caption ids; an empty one is an error naming it."""
        return self.text.batch(texts, first)

    def label_prompts(self, labels: Sequence[str]) -> Tensor:
        """C labels -> (C, M, N) ids of each label in the M prompt templates, padded."""
        labels = [label.strip() if isinstance(label, str) else label for label in labels]
        for i, label in enumerate(labels, start=1):
            if not isinstance(label, str) or not label:
                raise ZooError(f"label {i} is empty ({label!r}); give each class a name, e.g. 'a bag'")
        ids = self.text.batch([p.format(label) for label in labels for p in self.prompts])
        return ids.unflatten(0, (len(labels), len(self.prompts)))


def from_dict(args: dict, files: dict[str, str]) -> MultimodalPreprocessing:
    """From the config's section and the checkpoint's ``tokenizer.json``."""
    args = dict(args)
    text = text_from_dict({"max_len": args.pop("max_len")}, files)
    return MultimodalPreprocessing(text, **args)


def is_video_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES
