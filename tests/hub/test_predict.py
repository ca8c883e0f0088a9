"""``Pretrained.predict`` on in-memory inputs: the same probabilities as the files holding them."""

import io
import zipfile

import numpy as np
import pytest
import soundfile as sf
import torch
import torchaudio.functional as AF
from PIL import Image

import zoo
from zoo.datasets.fashion_mnist import load_arrays
from zoo.datasets.spoken_digits import embedded_archive
from zoo.errors import ZooError


@pytest.fixture(scope="module")
def vit():
    return zoo.load("vit-tiny-fashion-mnist")


@pytest.fixture
def sneaker(tmp_path):
    """An embedded Fashion-MNIST test image as a PNG, and its (28, 28) uint8 pixels."""
    arrays = load_arrays("embedded")
    pixels = arrays["test_images"][int(np.flatnonzero(arrays["test_labels"] == 7)[0])]
    Image.fromarray(pixels).save(tmp_path / "sneaker.png")
    return tmp_path / "sneaker.png", pixels


def test_images_in_memory_predict_as_their_file(vit, sneaker):
    path, pixels = sneaker
    inputs = [
        path,
        Image.open(path),
        pixels,  # (H, W) uint8
        np.repeat(pixels[..., None], 3, axis=2),  # (H, W, 3): a colour copy of a grey image
        torch.from_numpy(pixels)[None].float() / 255,  # (C, H, W) float
    ]
    results = vit.predict(inputs, topk=10, batch_size=2)  # batches of 2: the numbering runs on
    assert [r["input"] for r in results] == [str(path), "<image 2>", "<array 3>", "<array 4>", "<tensor 5>"]
    assert results[0]["label"] == "Sneaker"
    for result in results[1:]:
        assert result["topk"] == results[0]["topk"], result["input"]


def test_a_bad_array_is_named_by_its_number(vit):
    with pytest.raises(ZooError, match=r"<array 2>: pixels of shape \(28, 28, 7\)"):
        vit.predict([np.zeros((28, 28), np.uint8), np.zeros((28, 28, 7), np.uint8)])


def test_waveforms_in_memory_predict_as_their_file(tmp_path):
    """A digit clip at 22.05 kHz, resampled to the model's 16 kHz from the file and from memory."""
    model = zoo.load("cnn-spoken-digits")
    with zipfile.ZipFile(embedded_archive()) as archive:
        member = next(name for name in sorted(archive.namelist()) if name.startswith("test/seven/"))
        samples, rate = sf.read(io.BytesIO(archive.read(member)), dtype="float32")
    wave = AF.resample(torch.from_numpy(samples), rate, 22050).numpy()
    sf.write(tmp_path / "seven.wav", wave, 22050, subtype="FLOAT")
    results = model.predict([tmp_path / "seven.wav", (wave, 22050), (torch.from_numpy(wave), 22050)], topk=10)
    assert [r["input"] for r in results] == [str(tmp_path / "seven.wav"), "<waveform 2>", "<waveform 3>"]
    assert results[1]["topk"] == results[0]["topk"] and results[2]["topk"] == results[0]["topk"]
    with pytest.raises(ZooError, match=r"<array 1>: a waveform needs its sample rate"):
        model.predict([wave])
