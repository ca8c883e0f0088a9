"""Audio preprocessing (files and waveforms in memory) and audio folders."""

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from zoo.data.audio_folder import AudioFolderDataModule, collate_clips
from zoo.data.preprocessing.audio import AudioPreprocessing
from zoo.errors import ZooError

PRE = AudioPreprocessing(16_000, max_seconds=1.0)


def tone(seconds: float, rate: int, freq: float = 440.0, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    wave = (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([wave] * channels, axis=1) if channels > 1 else wave


def test_stereo_is_mixed_to_mono(tmp_path):
    left_right = np.stack([tone(0.5, 16000), np.zeros(8000, np.float32)], axis=1)
    sf.write(tmp_path / "stereo.wav", left_right, 16000)
    wave = PRE.load(tmp_path / "stereo.wav")
    assert wave.shape == (8000,)
    torch.testing.assert_close(wave, torch.from_numpy(tone(0.5, 16000)) / 2, atol=1e-4, rtol=0)


@pytest.mark.parametrize("rate", [8000, 22050, 44100])
def test_any_sample_rate_is_resampled_to_the_models(tmp_path, rate):
    sf.write(tmp_path / "clip.flac", tone(0.5, rate), rate)
    wave = PRE.load(tmp_path / "clip.flac")
    assert wave.shape == (8000,)
    spectrum = torch.fft.rfft(wave).abs()
    assert spectrum.argmax().item() * 16000 / 8000 == pytest.approx(440, abs=4)  # the tone survives


class CountingReader(io.FileIO):
    """A file that counts the bytes read from it."""

    bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data

    def readinto(self, buffer):
        n = super().readinto(buffer)
        self.bytes_read += n or 0
        return n


def test_a_ten_minute_file_is_cut_after_reading_only_its_start(tmp_path):
    sf.write(tmp_path / "ten_minutes.wav", tone(600, 16000), 16000, subtype="PCM_16")  # 19 MB
    with CountingReader(tmp_path / "ten_minutes.wav") as f:
        wave = PRE.load(f, "ten_minutes.wav")
        assert f.bytes_read < 0.01 * (tmp_path / "ten_minutes.wav").stat().st_size
    assert wave.shape == (16000,)


def test_bad_files_are_one_line(tmp_path):
    with pytest.raises(ZooError, match=r"nothing.wav: no such file"):
        PRE.load(tmp_path / "nothing.wav")
    (tmp_path / "notes.wav").write_text("not audio at all")
    with pytest.raises(ZooError, match=r"notes.wav: not a readable audio file .*; give wav, flac, ogg or mp3"):
        PRE.load(tmp_path / "notes.wav")
    sf.write(tmp_path / "empty.wav", np.zeros(0, np.float32), 16000)
    with pytest.raises(ZooError, match=r"empty.wav: the clip is empty \(0 samples\)"):
        PRE.load(tmp_path / "empty.wav")


def test_a_waveform_in_memory_reads_as_the_file_holding_it(tmp_path):
    """(samples, rate) pairs, numpy or torch, go through the file's steps: cut, mono, resampled."""
    wave = tone(1.4, 22050, freq=300)  # longer than PRE's 1 s, at another rate
    sf.write(tmp_path / "clip.wav", wave, 22050, subtype="FLOAT")  # float32 samples, stored exactly
    from_file = PRE.load(tmp_path / "clip.wav")
    assert from_file.shape == (16000,)
    for samples in (wave, torch.from_numpy(wave), wave.astype(np.float64)):
        torch.testing.assert_close(PRE.load((samples, 22050)), from_file, rtol=0, atol=0)
    batch = PRE.batch([(wave[:11025], 22050), tmp_path / "clip.wav"])
    assert batch.shape == (2, 16000) and (batch[0, 8000:] == 0).all()
    torch.testing.assert_close(batch[1], from_file, rtol=0, atol=0)


def test_a_waveform_without_its_rate_or_not_mono_is_a_one_line_error():
    wave = tone(0.2, 16000)
    with pytest.raises(ZooError, match=r"<array 2>: a waveform needs its sample rate; give the pair"):
        PRE.batch([(wave, 16000), wave])
    with pytest.raises(ZooError, match=r"<waveform 1>: give a waveform as \(samples, sample_rate\)"):
        PRE.batch([(wave, 16000.0)])
    with pytest.raises(ZooError, match=r"<waveform 3>: a waveform is \(samples,\) float, got .* shape \(3200, 2\)"):
        PRE.batch([(wave, 16000), (wave, 16000), (np.stack([wave, wave], axis=1), 16000)])
    with pytest.raises(ZooError, match=r"<waveform 1>: the clip is empty"):
        PRE.batch([(np.zeros(0, np.float32), 16000)])


def test_batches_are_zero_padded_to_the_longest_clip():
    batch = collate_clips([{"audio": torch.ones(3), "label": 1}, {"audio": torch.ones(5), "label": 0}])
    assert batch["audio"].tolist() == [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]] and batch["label"].tolist() == [1, 0]
    assert PRE.collate([torch.ones(2), torch.ones(4)]).shape == (2, 4)


def audio_folder(root: Path, labels=("cat", "dog"), per_label=5) -> Path:
    for i, label in enumerate(labels):
        (root / label).mkdir(parents=True)
        for j in range(per_label):
            sf.write(root / label / f"{j}.wav", tone(0.2 + 0.1 * j, 16000, 300 + 200 * i), 16000)
    return root


def test_audio_folder_carves_validation_and_decodes_every_clip(tmp_path):
    data = AudioFolderDataModule(audio_folder(tmp_path / "sounds"), PRE, val_fraction=0.2, batch_size=4)
    assert data.classes == ["cat", "dog"]
    assert (len(data.splits["train"]), len(data.splits["val"])) == (8, 2)
    data.setup()
    batch = next(iter(data.val_dataloader()))
    assert batch["audio"].shape[0] == 2 and batch["label"].tolist() == [0, 1]


def test_audio_folder_names_a_bad_file_and_an_empty_label(tmp_path):
    root = audio_folder(tmp_path / "sounds")
    (root / "dog" / "broken.wav").write_bytes(b"RIFF....not really")
    data = AudioFolderDataModule(root, PRE)
    with pytest.raises(ZooError, match=r"broken.wav: not a readable audio file"):
        data.setup()
    (root / "bird").mkdir()
    with pytest.raises(ZooError, match=r"bird holds no audio files \(.wav, .flac, .ogg"):
        AudioFolderDataModule(root, PRE)


def test_a_zip_is_checked_like_a_folder(tmp_path):
    with zipfile.ZipFile(tmp_path / "clips.zip", "w") as archive:
        for name in ("train/cat/0.wav", "train/dog/0.wav", "val/bird/0.wav"):
            archive.writestr(name, b"")
    with pytest.raises(ZooError, match=r"clips.zip/val has labels that train does not: bird"):
        AudioFolderDataModule(tmp_path / "clips.zip", PRE)
