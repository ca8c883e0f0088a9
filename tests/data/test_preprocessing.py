"""Preprocessing: rebuilt from a checkpoint's config by kind, each kind's libraries imported only
for it, and images in memory (PIL, arrays, tensors) read exactly as the files holding them."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.transforms.v2 import functional as TF

from tests.conftest import ROOT
from zoo.data.preprocessing import input_name, preprocessing_from_dict
from zoo.data.preprocessing.image import ImagePreprocessing
from zoo.errors import ZooError

GREY = ImagePreprocessing(size=28, channels=1, mean=(0.286,), std=(0.353,))
RGB = ImagePreprocessing(size=32, channels=3, mean=(0.5, 0.4, 0.3), std=(0.2, 0.2, 0.2))
AUDIO_AND_TEXT = ("torchaudio", "soundfile", "tokenizers", "datasets")


def libraries_loaded_by(code: str) -> set[str]:
    """Which of the audio and text libraries a fresh interpreter has imported after ``code``."""
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(set({AUDIO_AND_TEXT!r}) & set(sys.modules))))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_image_preprocessing_imports_no_audio_or_text_library():
    spec = GREY.to_dict()
    assert libraries_loaded_by(f"from zoo.data.preprocessing import preprocessing_from_dict\n"
                               f"preprocessing_from_dict({spec!r})") == set()  # fmt: skip


def test_each_kind_is_rebuilt_from_its_config():
    assert preprocessing_from_dict(GREY.to_dict()).to_dict() == GREY.to_dict()
    audio = preprocessing_from_dict({"kind": "audio", "sample_rate": 8000, "max_seconds": 2.0})
    assert (audio.kind, audio.sample_rate, audio.max_samples) == ("audio", 8000, 16000)
    video = {"kind": "video", "num_frames": 8, "frame_size": 32, "seconds": 3.0, "sample_rate": 8000}
    assert preprocessing_from_dict(video).to_dict() == {**video, "mean": 0.0, "std": 1.0, "min_frames": 1}
    with pytest.raises(ZooError, match="unknown preprocessing kind 'hologram'; this zoo knows: image, text, audio, video"):
        preprocessing_from_dict({"kind": "hologram"})
    with pytest.raises(ZooError, match="num_frames must be at least 1, got 0"):
        preprocessing_from_dict({**video, "num_frames": 0})
    with pytest.raises(ZooError, match="checkpoint preprocessing .*unexpected keyword argument 'colour'"):
        preprocessing_from_dict({**GREY.to_dict(), "colour": True})


def test_inputs_are_named_by_path_or_by_kind_and_number(tmp_path):
    assert input_name(tmp_path / "a.png", 1) == str(tmp_path / "a.png")
    assert input_name("a fine film", 2) == "a fine film"
    assert input_name(Image.new("L", (2, 2)), 1) == "<image 1>"
    assert input_name(np.zeros((2, 2)), 2) == "<array 2>" and input_name(torch.zeros(2, 2), 3) == "<tensor 3>"
    assert input_name((np.zeros(4), 16000), 4) == "<waveform 4>"


@pytest.fixture
def photo(tmp_path):
    """A 40 x 30 colour PNG (not the model's size) and its (H, W, 3) uint8 pixels."""
    pixels = np.random.default_rng(0).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "photo.png")
    return tmp_path / "photo.png", pixels


@pytest.mark.parametrize("p", [GREY, RGB], ids=["grey-model", "rgb-model"])
def test_an_image_in_memory_is_read_exactly_as_its_file(photo, p):
    path, pixels = photo
    expected = p.load(path)
    chw = torch.from_numpy(pixels).permute(2, 0, 1)
    in_memory = [
        Image.open(path),  # a PIL image, not yet decoded
        Image.fromarray(pixels),
        pixels,  # (H, W, C) uint8 numpy
        chw,  # (C, H, W) uint8 torch
        chw.float() / 255,  # (C, H, W) float in [0, 1], as ToTensor gives
        pixels.transpose(2, 0, 1).copy(),  # (C, H, W) numpy
        torch.from_numpy(pixels),  # (H, W, C) torch
    ]
    batch = p.batch([path, *in_memory])
    assert batch.shape == (8, p.channels, p.size, p.size)
    for i, x in enumerate(batch):
        torch.testing.assert_close(x, expected, rtol=0, atol=0, msg=f"input {i + 1}")


def test_grey_pixels_and_an_rgba_array_read_as_their_files(tmp_path):
    grey = np.random.default_rng(1).integers(0, 256, (28, 28), dtype=np.uint8)
    Image.fromarray(grey).save(tmp_path / "grey.png")
    for x in (grey, grey[None], grey[..., None], torch.from_numpy(grey), torch.from_numpy(grey)[None]):
        torch.testing.assert_close(GREY.load(x), GREY.load(tmp_path / "grey.png"), rtol=0, atol=0)
    rgba = np.random.default_rng(2).integers(0, 256, (20, 24, 4), dtype=np.uint8)
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    torch.testing.assert_close(RGB.load(rgba), RGB.load(tmp_path / "rgba.png"), rtol=0, atol=0)


def test_an_ambiguous_layout_follows_the_library_numpy_channels_last_torch_channels_first():
    x = np.random.default_rng(3).integers(0, 256, (3, 10, 3), dtype=np.uint8)
    as_hwc = GREY.to_uint8(Image.fromarray(x).convert("L"))
    as_chw = GREY.to_uint8(Image.fromarray(x.transpose(1, 2, 0).copy()).convert("L"))
    assert torch.equal(GREY.to_uint8(GREY.open(x)), as_hwc)
    assert torch.equal(GREY.to_uint8(GREY.open(torch.from_numpy(x))), as_chw)
    assert not torch.equal(as_hwc, as_chw)


def test_pixels_that_are_not_an_image_are_one_line_errors():
    with pytest.raises(ZooError, match=r"<array 2>: pixels of shape \(28, 28, 5\); give \(H, W\), \(H, W, C\) or"):
        GREY.batch([np.zeros((28, 28), np.uint8), np.zeros((28, 28, 5), np.uint8)])
    with pytest.raises(ZooError, match=r"<tensor 1>: pixels of shape \(1, 1, 28, 28\)"):
        GREY.batch([torch.zeros(1, 1, 28, 28)])
    with pytest.raises(ZooError, match=r"<tensor 1>: float pixels must lie in \[0, 1\]; scale them, or give uint8"):
        GREY.batch([TF.normalize(torch.rand(1, 28, 28), [0.5], [0.1])])
    with pytest.raises(ZooError, match=r"<array 1>: pixels of dtype int64; give uint8 \(0-255\) or float \(0-1\)"):
        GREY.batch([np.zeros((28, 28), np.int64)])
    with pytest.raises(ZooError, match=r"<array 1>: the image is empty"):
        GREY.batch([np.zeros((0, 28), np.uint8)])
