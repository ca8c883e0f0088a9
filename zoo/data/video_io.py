"""Video files -> clips: ``num_frames`` RGB frames spread over a span, and the audio of that span;
and frames and audio -> a video file (:func:`write_video`).

Decoded with PyAV (ffmpeg), so any container and codec ffmpeg reads works: mp4, mkv, webm,
mov, avi; H.264, VP9, MPEG-4, ... at any frame rate and resolution. Times come from each
frame's ``pts * time_base`` measured from the container's start, so video and audio stay in
sync however the file is timed. Frames are resized (shorter side to ``frame_size``, bilinear
with antialiasing) and centre-cropped to a square; audio is averaged to mono and resampled.

PyAV is imported inside the functions, so ``import zoo`` does not load ffmpeg.
"""

from __future__ import annotations

import math
import os
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
import torchaudio.functional as AF
from torch import Tensor

from zoo.errors import ZooError

LAYOUTS = {1: "mono", 2: "stereo"}  # audio channels -> ffmpeg's layout

if TYPE_CHECKING:
    import numpy as np
    from av.audio.frame import AudioFrame
    from av.container import InputContainer
    from av.frame import Frame
    from av.video.frame import VideoFrame
    from av.video.stream import VideoStream


@dataclass(frozen=True)
class Clip:
    """One decoded span of a video file.

    Attributes:
        video: (C=3, T, H, W) float32 RGB in [0, 1], T = num_frames, H = W = frame_size.
        audio: (S,) float32 mono in [-1, 1] at the requested rate, S = round(duration * rate);
            None when the file has no audio stream.
        fps: the file's frame rate (frames per second), not the rate of the sampled frames.
        duration: seconds the clip spans (its audio lasts exactly this long).
    """

    video: Tensor
    audio: Tensor | None
    fps: float
    duration: float


def check_clip_options(
    *, num_frames: int, frame_size: int, sample_rate: int, seconds: float | None, start: float, min_frames: int
) -> None:
    """Raise a ZooError for options :func:`read_clip` cannot use, before any file is opened."""
    counts = {"num_frames": num_frames, "frame_size": frame_size, "sample_rate": sample_rate, "min_frames": min_frames}
    for name, value in counts.items():
        if value < 1:
            raise ZooError(f"{name} must be at least 1, got {value}")
    if seconds is not None and not seconds > 0:
        raise ZooError(f"seconds must be positive (or None for the whole file), got {seconds}")
    if not start >= 0:
        raise ZooError(f"start must be 0 or more seconds, got {start}")


def read_clip(
    path: str | Path,
    *,
    num_frames: int,
    frame_size: int,
    sample_rate: int,
    seconds: float | None = None,
    start: float = 0.0,
    min_frames: int = 1,
) -> Clip:
    """A video file's span [start, start + seconds] -> :class:`Clip` (video (3, T, H, W), audio (S,)).

    Frame t is the decoded frame nearest in time to the centre of the t-th of ``num_frames``
    equal parts of the span, so a span with fewer frames repeats them. Audio shorter than the
    span is zero-padded; with ``seconds`` given every clip has the same shapes, even one cut
    short by the end of its file.

    Args:
        path: a video file (mp4, mkv, webm, mov, avi, ...).
        num_frames: frames to take (T).
        frame_size: side of the square frames (H = W): the shorter side is resized to it, then
            the centre is cropped.
        sample_rate: the audio's rate in Hz.
        seconds: the span's length; None: up to the end of the video stream (as the file's
            header records it).
        start: where the span begins, in seconds from the start of the file.
        min_frames: fewer decoded frames inside the span than this is an error.
    """
    check_clip_options(
        num_frames=num_frames,
        frame_size=frame_size,
        sample_rate=sample_rate,
        seconds=seconds,
        start=start,
        min_frames=min_frames,
    )
    import av

    path = Path(path)
    if not path.is_file():
        raise ZooError(f"{path}: no such video file; check the path")
    if path.stat().st_size == 0:
        raise ZooError(f"{path}: the file is empty (0 bytes); copy or export the video again")
    try:
        return _read(path, num_frames, frame_size, sample_rate, seconds, start, min_frames)
    except (av.FFmpegError, OSError) as err:
        reason = err.strerror or type(err).__name__
        raise ZooError(
            f"{path}: not a readable video file ({reason}); give a video ffmpeg can play (mp4, mkv, webm, mov)"
        ) from None


def _read(
    path: Path,
    num_frames: int,
    frame_size: int,
    sample_rate: int,
    seconds: float | None,
    start: float,
    min_frames: int,
) -> Clip:
    """The :class:`Clip` that :func:`read_clip` describes, from a file that exists."""
    import av

    with av.open(str(path)) as container:  # the header (a stream's fields are garbage once it is closed)
        video = _video_stream(container, path)
        video_index = video.index
        audio_index = container.streams.audio[0].index if container.streams.audio else None
        origin = container.start_time / av.time_base if container.start_time is not None else 0.0
        end = start + seconds if seconds is not None else _file_end(container, video, origin, path)
        rate = video.average_rate or video.guessed_rate
    if end <= start:
        raise ZooError(f"{path}: start={start:g} s is at or past the end of the video ({end:.3g} s)")
    centres = [start + (t + 0.5) * (end - start) / num_frames for t in range(num_frames)]
    with closing(_timed_frames(path, video_index, origin, start)) as decoded:  # open until frames are converted
        frames, found = _video_frames(decoded, start, end, centres)
        if found < min_frames:
            raise ZooError(
                f"{path}: {found} decodable video frame(s) between {start:g} s and {end:g} s, fewer than "
                f"min_frames={min_frames}; give a longer clip or a lower min_frames"
            )
        pixels = torch.stack([_resize_crop(_rgb(frame), frame_size) for frame in frames], dim=1)  # (3, T, H, W)
    sound = None
    if audio_index is not None:
        with closing(_timed_frames(path, audio_index, origin, start)) as decoded:
            sound = _audio_track(decoded, start, end, sample_rate)
    fps = float(rate) if rate else found / (end - start)
    return Clip(video=pixels, audio=sound, fps=fps, duration=end - start)


def _video_stream(container: InputContainer, path: Path) -> VideoStream:
    """The first video stream that is not a still picture (an audio file's cover art)."""
    from av.stream import Disposition

    moving = [s for s in container.streams.video if not s.disposition & Disposition.attached_pic]
    if not moving:
        kinds = sorted({"a still picture" if s.type == "video" else s.type for s in container.streams})
        raise ZooError(
            f"{path}: no video stream (the file holds {' and '.join(kinds) or 'nothing'}); give a video file "
            "(audio alone is read by AudioPreprocessing)"
        )
    return moving[0]


def _file_end(container: InputContainer, stream: VideoStream, origin: float, path: Path) -> float:
    """Seconds from the container's start to the end of ``stream``, as the file's header records it."""
    import av

    if stream.duration is not None:
        return float(((stream.start_time or 0) + stream.duration) * stream.time_base) - origin
    if container.duration is not None:
        return container.duration / av.time_base
    raise ZooError(f"{path}: the file does not record how long it is; give seconds (the span to read)")


def _timed_frames(path: Path, index: int, origin: float, start: float) -> Generator[tuple[float, Frame], None, None]:
    """(seconds from the file's start, frame) of stream ``index``, in presentation order, from a
    frame at or before ``start`` (or the first frame) to the end of the file.

    Each stream is decoded from its own opening of the file, so reading one never moves the
    other. A seek lands on the keyframe before ``start`` in most formats; where it lands after
    it (MPEG-TS seeks by decoding time, which B-frames put ahead of the keyframe's display
    time, and then nothing decodes), the stream is decoded from the beginning instead.
    """
    import av

    if start > 0:
        with av.open(str(path)) as container:
            stream = container.streams[index]
            container.seek(math.floor((origin + start) / stream.time_base), stream=stream, backward=True)
            frames = _timed(container.decode(stream), stream.time_base, origin, path)
            first = next(frames, None)
            if first is not None and first[0] <= start:
                yield first
                yield from frames
                return
    with av.open(str(path)) as container:
        stream = container.streams[index]
        yield from _timed(container.decode(stream), stream.time_base, origin, path)


def _timed(frames: Iterator[Frame], time_base: Fraction, origin: float, path: Path) -> Iterator[tuple[float, Frame]]:
    """Decoded frames -> (pts * time_base - origin seconds, frame)."""
    for frame in frames:
        if frame.pts is None:
            raise ZooError(f"{path}: the decoded frames carry no timestamps; remux it into mp4 or mkv with ffmpeg")
        yield float(frame.pts * time_base) - origin, frame


def _video_frames(
    frames: Iterator[tuple[float, VideoFrame]], start: float, end: float, centres: list[float]
) -> tuple[list[VideoFrame], int]:
    """(time, frame) pairs -> (the frame in [start, end) nearest each of ``centres`` (ascending
    seconds; ties go to the earlier frame), how many frames [start, end) holds).

    Only the chosen frames are kept, so a long span costs decoding time, not memory."""
    chosen: list[VideoFrame] = []
    previous: tuple[float, VideoFrame] | None = None
    found = 0
    for time, frame in frames:
        if time < start:
            continue  # decoded from the keyframe before start
        if time >= end:
            break
        found += 1
        while len(chosen) < len(centres) and centres[len(chosen)] < time:
            centre = centres[len(chosen)]
            nearer = previous is not None and centre - previous[0] <= time - centre
            chosen.append(previous[1] if nearer else frame)
        previous = (time, frame)
    if previous is not None:
        chosen += [previous[1]] * (len(centres) - len(chosen))  # centres after the last frame
    return chosen, found


def _rgb(frame: VideoFrame) -> Tensor:
    """A decoded frame (any pixel format) -> (3, H, W) uint8 RGB."""
    return torch.from_numpy(frame.to_ndarray(format="rgb24")).permute(2, 0, 1)


def _resize_crop(image: Tensor, size: int) -> Tensor:
    """(3, H, W) uint8 -> (3, size, size) float32 in [0, 1]: the shorter side resized to ``size``
    (bilinear, antialiased when shrinking), then the centre cropped."""
    height, width = image.shape[1:]
    scale = size / min(height, width)
    new_height, new_width = max(size, round(height * scale)), max(size, round(width * scale))
    resized = F.interpolate(
        image[None].float() / 255, size=(new_height, new_width), mode="bilinear", antialias=True, align_corners=False
    )[0]  # (3, H', W'), the shorter side = size
    top, left = (new_height - size) // 2, (new_width - size) // 2
    return resized[:, top : top + size, left : left + size].clamp(0, 1)


def _audio_track(frames: Iterator[tuple[float, AudioFrame]], start: float, end: float, sample_rate: int) -> Tensor:
    """(time, frame) pairs -> the audio of [start, end) as (S,) float32 mono at ``sample_rate``,
    S = round((end - start) * sample_rate): channels averaged, resampled, zero-padded where the
    track is shorter."""
    import av

    as_float = av.AudioResampler(format="fltp")  # any sample format -> (channels, samples) float32
    chunks: list[Tensor] = []
    offset: int | None = None  # samples from start to the first one kept (negative: it begins before start)
    rate = sample_rate  # the track's, once a frame is kept
    for time, frame in frames:
        if time + frame.samples / frame.rate <= start:
            continue  # decoded from before start
        if time >= end:
            break
        if offset is None:
            offset, rate = round((time - start) * frame.rate), frame.rate
        chunks += [torch.from_numpy(f.to_ndarray()).mean(dim=0) for f in as_float.resample(frame)]
    chunks += [torch.from_numpy(f.to_ndarray()).mean(dim=0) for f in as_float.resample(None)]
    samples = torch.cat(chunks) if chunks else torch.zeros(0)
    offset = offset or 0
    samples = samples[-offset:] if offset < 0 else F.pad(samples, (offset, 0))
    samples = _fit(samples, math.ceil((end - start) * rate))
    if rate != sample_rate:
        samples = AF.resample(samples, rate, sample_rate)
    return _fit(samples, round((end - start) * sample_rate)).contiguous()


def _fit(samples: Tensor, length: int) -> Tensor:
    """(S,) -> (length,): cut, or right-padded with zeros."""
    return samples[:length] if len(samples) >= length else F.pad(samples, (0, length - len(samples)))


def write_video(
    path: str | Path,
    frames: np.ndarray | None,
    *,
    fps: int | Fraction = 25,
    codec: str = "mpeg4",
    audio: np.ndarray | None = None,
    sample_rate: int = 44_100,
    bit_rate: int = 4_000_000,
) -> Path:
    """(T, H, W, 3) uint8 RGB frames and (C, S) float32 audio in [-1, 1] -> a video file at
    ``path``, its container chosen by the suffix (mp4, mkv, webm, mov, avi, ts; frames None: an audio-only file; audio None: a
    silent video). Audio is AAC; written to a temporary name, then renamed, so a failed write
    leaves nothing. H and W must be even (yuv420p).

    Args:
        fps: frames per second (a Fraction for rates such as 30000/1001, or 8/3).
        codec: ffmpeg's video encoder, e.g. "mpeg4", "libx264".
        bit_rate: the video's bits per second (the default is near-lossless at small sizes).
    """
    import av

    path = Path(path)
    if audio is not None and len(audio) not in LAYOUTS:
        raise ZooError(f"audio must be (1, S) mono or (2, S) stereo, got {len(audio)} channels")
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        with av.open(str(partial), "w") as container:  # the container from the suffix
            video = None if frames is None else container.add_stream(codec, rate=fps)
            layout = None if audio is None else LAYOUTS[len(audio)]
            sound = None if audio is None else container.add_stream("aac", rate=sample_rate, layout=layout)
            if video is not None:  # every stream is added before the first packet
                video.height, video.width = frames.shape[1:3]
                video.pix_fmt, video.bit_rate = "yuv420p", bit_rate
                for image in frames:
                    container.mux(video.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
                container.mux(video.encode())  # flush
            if sound is not None:
                for first in range(0, audio.shape[1], 1024):
                    chunk = av.AudioFrame.from_ndarray(
                        audio[:, first : first + 1024].copy(), format="fltp", layout=layout
                    )
                    chunk.rate, chunk.pts = sample_rate, first
                    container.mux(sound.encode(chunk))
                container.mux(sound.encode())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path
