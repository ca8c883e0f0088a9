"""Tux Paint's recordings as an unlabelled corpus: every recording once, split by stamp as spoken-language is."""

from pathlib import Path

import pytest
import soundfile as sf

from tests.data.test_audio import tone
from zoo.datasets import spoken_language, tuxpaint_audio
from zoo.errors import ZooError


def fake_tuxpaint(root: Path) -> Path:
    """Stamps with an effect, a spoken name and descriptions; a copy under a second stamp; the program's sounds."""
    stamps = root / "stamps"
    for folder, stamp in (("animals", "cat"), ("animals", "cat_sleeping"), ("shapes", "star")):
        (stamps / folder).mkdir(parents=True, exist_ok=True)
        (stamps / folder / f"{stamp}.png").write_bytes(b"")
        for k, name in enumerate((stamp, f"{stamp}_desc_fr", f"{stamp}_en_GB")):
            sf.write(stamps / folder / f"{name}.ogg", tone(0.3, 44100, 200 + 40 * k + 7 * len(stamp)), 44100)
    (stamps / "seasonal").mkdir()
    (stamps / "seasonal" / "star.png").write_bytes(b"")
    (stamps / "seasonal" / "star_desc_fr.ogg").write_bytes((stamps / "shapes" / "star_desc_fr.ogg").read_bytes())
    (root / "sounds").mkdir()
    sf.write(root / "sounds" / "bubble.wav", tone(0.2, 22050, 900), 22050)
    return root


def test_a_recording_belongs_to_the_longest_stamp_it_is_named_for(tmp_path):
    root = fake_tuxpaint(tmp_path / "tuxpaint")
    assert tuxpaint_audio.stamp_of(root / "stamps" / "animals" / "cat_sleeping_desc_fr.ogg") == "cat_sleeping"
    assert tuxpaint_audio.stamp_of(root / "stamps" / "animals" / "cat_en_GB.ogg") == "cat"
    assert tuxpaint_audio.stamp_of(root / "sounds" / "bubble.wav") is None


def test_every_recording_is_found_once_with_its_kind_and_its_stamps_split(tmp_path):
    found = tuxpaint_audio.find_recordings(fake_tuxpaint(tmp_path / "tuxpaint"))
    names = sorted((path.name, split, kind) for path, split, kind, _ in found)
    assert len(names) == 10  # 3 stamps x 3 recordings, the copied description once, the program's bubble
    split = spoken_language.split_of
    assert ("cat_desc_fr.ogg", split("cat"), "speech") in names
    assert ("cat_sleeping.ogg", split("cat_sleeping"), "effect") in names
    assert ("bubble.wav", split("bubble.wav"), "effect") in names


def test_prepare_writes_every_split_with_both_labels(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA", str(tmp_path / "cache"))
    out = tuxpaint_audio.prepare(fake_tuxpaint(tmp_path / "tuxpaint"))
    assert len(list(out.rglob("*.flac"))) == 10
    assert {p.relative_to(out).as_posix() for p in out.glob("*/*")} == {
        f"{split}/{kind}" for split in ("train", "val", "test") for kind in ("effect", "speech")
    }
    assert all(sf.info(f).samplerate == 16000 for f in out.rglob("*.flac"))
    assert not (tmp_path / "cache" / "tuxpaint-audio.tmp").exists()


def test_before_prepare_the_data_module_names_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA", str(tmp_path))
    data = tuxpaint_audio.TuxPaintAudioDataModule()
    with pytest.raises(ZooError, match=r"tuxpaint-audio data not prepared; run: zoo data prepare tuxpaint-audio"):
        data.setup()
    with pytest.raises(ZooError, match=r"only the 'full' variant"):
        tuxpaint_audio.TuxPaintAudioDataModule(variant="embedded")
