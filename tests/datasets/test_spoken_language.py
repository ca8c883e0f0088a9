"""Spoken language: preparing Tux Paint's recordings into an audio folder split by stamp."""

from pathlib import Path

import pytest
import soundfile as sf

from tests.data.test_audio import PRE, tone
from zoo.data.audio_folder import AudioFolderDataModule
from zoo.datasets import spoken_language
from zoo.errors import ZooError


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
