"""Video preprocessing: a video file -> its clip (frames and soundtrack) as the model was trained on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import Tensor

from zoo.data.preprocessing import input_name
from zoo.errors import ZooError

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mkv", ".webm", ".mov", ".avi", ".mpg", ".mpeg", ".ogv", ".ts", ".gif")


@dataclass(frozen=True)
class VideoPreprocessing:
    """Video files -> clips of ``num_frames`` frames of ``frame_size`` pixels over the first
    ``seconds`` of each file, normalised ``(x - mean) / std``, and their soundtrack at
    ``sample_rate``.

    A file is decoded by :func:`zoo.data.video_io.read_clip` (PyAV: any container, codec,
    resolution, frame rate, channel count and sample rate). A file without an audio track gives
    silence and ``audio_present`` False, so its video still works.

    Args:
        num_frames, frame_size, seconds: the clip's shape (T, H = W) and span.
        sample_rate: the soundtrack's rate in Hz.
        mean, std: the frames' normalisation.
        min_frames: a file with fewer decodable frames in its span is an error (a video
            Transformer's tubelet: fewer frames hold no motion it can read).
    """

    num_frames: int
    frame_size: int
    seconds: float
    sample_rate: int
    mean: float = 0.0
    std: float = 1.0
    min_frames: int = 1
    kind: str = "video"

    def __post_init__(self) -> None:
        from zoo.data.video_io import check_clip_options

        if self.seconds is None:
            raise ZooError("a model's clips span a fixed number of seconds; give seconds")
        check_clip_options(
            num_frames=self.num_frames,
            frame_size=self.frame_size,
            sample_rate=self.sample_rate,
            seconds=self.seconds,
            start=0.0,
            min_frames=self.min_frames,
        )

    def to_dict(self) -> dict:
        return asdict(self)

    def files(self) -> dict[str, str]:
        return {}

    def normalize(self, video: Tensor) -> Tensor:
        """(3, T, H, W) frames in [0, 1] -> the model's input, ``(x - mean) / std``."""
        return (video - self.mean) / self.std

    def clips(self, files: Sequence[str | Path], first: int = 1) -> dict[str, Tensor]:
        """Video files -> ``video`` (B, 3, T, S, S) normalised, ``audio`` (B, S_a) and
        ``audio_present`` (B,) bool; a ZooError names the first file that cannot be read."""
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
                min_frames=self.min_frames,
            )
            videos.append(self.normalize(clip.video))
            sounds.append(clip.audio if clip.audio is not None else torch.zeros(round(self.seconds * self.sample_rate)))
            present.append(clip.audio is not None)
        return {"video": torch.stack(videos), "audio": torch.stack(sounds), "audio_present": torch.tensor(present)}

    def batch(self, inputs: Sequence[str | Path], first: int = 1) -> Tensor:
        """Video files -> the model's (B, 3, T, S, S) video input."""
        return self.clips(inputs, first)["video"]

    def soundtracks(self, inputs: Sequence, first: int = 1) -> Tensor:
        """Video files' soundtracks, audio files or ``(waveform, sample_rate)`` pairs -> (B, S_a),
        S_a = seconds * sample_rate (shorter ones zero-padded); a silent video is an error."""
        from zoo.data.preprocessing.audio import AudioPreprocessing

        audio = AudioPreprocessing(self.sample_rate, self.seconds)
        waveforms = []
        for i, source in enumerate(inputs, start=first):
            if isinstance(source, (str, Path)) and is_video_file(source):
                clip = self.clips([source], i)
                if not clip["audio_present"][0]:
                    raise ZooError(f"{source}: the video has no audio track; give one with sound, or an audio file")
                waveforms.append(clip["audio"][0])
            else:
                waveforms.append(audio.load(source, input_name(source, i)))
        length = round(self.seconds * self.sample_rate)
        return torch.stack([torch.nn.functional.pad(w, (0, length - len(w))) for w in waveforms])


def from_dict(args: dict, files: dict[str, str]) -> VideoPreprocessing:
    return VideoPreprocessing(**args)


def is_video_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES
