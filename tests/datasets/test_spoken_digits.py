"""The embedded spoken digits: split by voice, short 16 kHz clips, their held-out data."""

import zipfile
from pathlib import PurePosixPath

from zoo.datasets.spoken_digits import DIGITS, SpokenDigitsDataModule, embedded_archive


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
    lengths = [len(wave) for wave in data.datasets["test"].fields["audio"]]
    assert min(lengths) > 0.3 * 16000 and max(lengths) <= 1.5 * 16000
    with zipfile.ZipFile(embedded_archive()) as archive:
        assert embedded_archive().stat().st_size < 5 * 2**20 and len(archive.namelist()) == 1350
