"""Audio loading, the audio folder, the embedded spoken digits and the spoken-language preparation."""

import io
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
import pytest
import soundfile as sf
import torch

from zoo.data import spoken_language
from zoo.data.audio_folder import AudioFolderDataModule, collate_clips
from zoo.data.preprocessing import AudioPreprocessing
from zoo.data.spoken_digits import DIGITS, SpokenDigitsDataModule, embedded_archive
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


def test_batches_are_zero_padded_to_the_longest_clip():
    waves, labels = collate_clips([(torch.ones(3), 1), (torch.ones(5), 0)])
    assert waves.tolist() == [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]] and labels.tolist() == [1, 0]
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
    waves, labels = next(iter(data.val_dataloader()))
    assert waves.shape[0] == 2 and labels.tolist() == [0, 1]


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


def test_embedded_spoken_digits_are_split_by_voice():
    data = SpokenDigitsDataModule()
    assert data.classes == list(DIGITS)
    assert {name: len(split) for name, split in data.splits.items()} == {"train": 930, "val": 150, "test": 270}
    voices = {
        name: {PurePosixPath(str(member)).stem.rsplit("_", 1)[0] for member, _ in split}
        for name, split in data.splits.items()
    }
    assert not voices["train"] & voices["val"] and not voices["train"] & voices["test"]
    assert not voices["val"] & voices["test"]
    assert {"slt"} <= voices["test"] and {"kal"} <= voices["val"]  # the held-out flite voices
    for split in data.splits.values():  # every voice says every digit
        assert {label for _, label in split} == set(DIGITS)


def test_embedded_spoken_digits_decode_to_short_16khz_clips():
    data = SpokenDigitsDataModule(max_seconds=1.5)
    data.setup()
    lengths = [len(wave) for wave in data.datasets["test"].waveforms]
    assert min(lengths) > 0.3 * 16000 and max(lengths) <= 1.5 * 16000
    with zipfile.ZipFile(embedded_archive()) as archive:
        assert embedded_archive().stat().st_size < 5 * 2**20 and len(archive.namelist()) == 1350


def fake_stamps(root: Path) -> Path:
    """Tux Paint's layout in miniature: two stamps, a copy of one recording under a second stamp folder."""
    for folder, stamp in (("animals", "cat"), ("animals", "dog"), ("shapes", "star")):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for k, lang in enumerate(("fr", "ru")):
            sf.write(root / folder / f"{stamp}_desc_{lang}.ogg", tone(0.3, 44100, 200 + 50 * k + len(stamp)), 44100)
    (root / "seasonal").mkdir()
    (root / "seasonal" / "star_desc_fr.ogg").write_bytes((root / "shapes" / "star_desc_fr.ogg").read_bytes())
    sf.write(root / "animals" / "cat_desc_xx.ogg", tone(0.3, 44100), 44100)  # not one of the 9 languages
    (root / "animals" / "cat.ogg").write_bytes(b"")  # a sound effect, not a description
    return root


def test_find_recordings_keeps_each_recording_once(tmp_path):
    found = spoken_language.find_recordings(fake_stamps(tmp_path / "stamps"))
    assert sorted((stamp, lang) for _, stamp, lang, _ in found) == [
        ("cat", "fr"), ("cat", "ru"), ("dog", "fr"), ("dog", "ru"), ("star", "fr"), ("star", "ru"),
    ]  # fmt: skip


def test_prepare_writes_an_audio_folder_split_by_stamp(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA", str(tmp_path / "cache"))
    out = spoken_language.prepare(fake_stamps(tmp_path / "stamps"))
    files = sorted(out.rglob("*.flac"))
    assert len(files) == 6
    for file in files:
        split, lang = file.parent.parent.name, file.parent.name
        stamp = file.stem.rsplit("-", 1)[0]
        assert split == spoken_language.split_of(stamp) and lang in ("fr", "ru")
        assert sf.info(file).samplerate == 16000
    assert not (tmp_path / "cache" / "spoken-language.tmp").exists()


def test_spoken_language_before_prepare_names_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA", str(tmp_path))
    data = spoken_language.SpokenLanguageDataModule()  # a recipe builds before the data is there
    assert data.classes == list(spoken_language.LANGUAGES)
    with pytest.raises(ZooError, match=r"spoken-language data not prepared; run: zoo data prepare spoken-language"):
        data.setup()
    with pytest.raises(ZooError, match=r"no such variant|only the 'full' variant"):
        spoken_language.SpokenLanguageDataModule(variant="embedded")


@pytest.mark.skipif(
    not (spoken_language.data_home() / "spoken-language" / "train").is_dir(),
    reason="spoken-language is not prepared here (zoo data prepare spoken-language)",
)
def test_prepared_spoken_language_has_every_language_in_every_split():
    data = spoken_language.SpokenLanguageDataModule()
    splits = AudioFolderDataModule(spoken_language.data_home() / "spoken-language", PRE, data.classes).splits
    assert {name: len(split) for name, split in splits.items()} == {"train": 5040, "val": 634, "test": 618}
    assert data.description.startswith("spoken language, Tux Paint's recorded stamp descriptions (5,040 train")
    for split in splits.values():
        assert {label for _, label in split} == set(spoken_language.LANGUAGES)
