"""Spoken-language identification from Tux Paint's recorded stamp descriptions (9 languages).

Debian's ``tuxpaint-stamps-default`` (GPL-2) holds short spoken descriptions of its stamps,
``<stamp>_desc_<lang>.ogg``: 7,190 real recordings in be, bg, ca, da, el, es, fr, ro and ru
(44.1 kHz, 0.2-20 s, median 1.1 s). ``zoo data prepare spoken-language`` turns them into an
audio folder of 16 kHz FLAC under the data cache::

    spoken-language/{train,val,test}/<lang>/<stamp>-<sha256 prefix>.flac

The split:
- Copies are dropped first: 808 recordings are stored under two or more stamps (a star
  among shapes and among Christmas stamps); each recording is kept once, so the same
  recording never appears in two splits.
- Splits go by stamp: all languages' descriptions of one stamp land in the same split
  (80 / 10 / 10 by a hash of the stamp name), so no test word was heard in training in any
  language.
- What the split cannot show: the package credits about one narrator per language (e.g.
  Bulgarian: Krasimir Petkov; French: Jacques Chion). Language and speaker coincide, so a
  model may tell the narrators apart rather than the languages; test accuracy measures
  new words by known speakers, not new speakers. The data is not embedded (GPL-2).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from zoo.data.cache import data_home
from zoo.data.preprocessing.audio import AudioPreprocessing
from zoo.datasets.prepared_audio import PreparedAudioDataModule, write_audio_folder
from zoo.errors import ZooError

LANGUAGES = ("be", "bg", "ca", "da", "el", "es", "fr", "ro", "ru")
DEBIAN_STAMPS = Path("/usr/share/tuxpaint/stamps")
PREPARE = "zoo data prepare spoken-language (needs: apt install tuxpaint-stamps-default)"
_DESC = re.compile(r"^(?P<stamp>.+)_desc_(?P<lang>[a-z]+)\.ogg$")


def split_of(stamp: str) -> str:
    """A stamp's split, fixed by its name: 80 % train, 10 % val, 10 % test."""
    bucket = int(hashlib.sha256(stamp.encode()).hexdigest(), 16) % 10
    return "test" if bucket == 0 else "val" if bucket == 1 else "train"


def find_recordings(source: Path) -> list[tuple[Path, str, str, str]]:
    """``source/**/<stamp>_desc_<lang>.ogg`` in the 9 languages -> (file, stamp, lang, sha256), copies dropped.

    A recording stored under several stamps (byte-identical files) is kept once, under the
    first path in sorted order.
    """
    seen, found = set(), []
    for path in sorted(source.rglob("*_desc_*.ogg")):
        match = _DESC.match(path.name)
        if not match or match["lang"] not in LANGUAGES:
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            found.append((path, match["stamp"], match["lang"], digest))
    return found


def prepare(source: Path | None = None) -> Path:
    """Write the audio folder into the data cache (idempotent); returns its path."""
    source = source or DEBIAN_STAMPS
    if not source.is_dir():
        raise ZooError(f"{source} not found; apt install tuxpaint-stamps-default, or pass --source DIR")
    out = data_home() / "spoken-language"
    if (out / "train").is_dir():
        return out
    recordings = find_recordings(source)
    if not recordings:
        raise ZooError(f"{source} holds no <stamp>_desc_<lang>.ogg recordings in {', '.join(LANGUAGES)}")
    clips = [
        (path, split_of(stamp), lang, f"{stamp}-{digest[:8]}")  # one stamp name may hold two recordings
        for path, stamp, lang, digest in recordings
    ]
    counts = write_audio_folder(out, clips, LANGUAGES)
    for split in ("train", "val", "test"):
        print(f"{split}: {sum(n for (s, _), n in counts.items() if s == split)} clips,", end=" ")
    print(f"in {out}")
    return out


class SpokenLanguageDataModule(PreparedAudioDataModule):
    """Which of 9 languages a recorded description is spoken in (prepared data only; see the module docstring).

    Args: as :class:`zoo.datasets.prepared_audio.PreparedAudioDataModule`.
    """

    name, prepare_command, classes = "spoken-language", PREPARE, list(LANGUAGES)

    @property
    def description(self) -> str:
        return (
            f"spoken language, Tux Paint's recorded stamp descriptions ({self.counts('5,040 train, 634 val, 618 test')} "
            "clips; 9 languages). Split by stamp: no test word was heard in training in any language. About one "
            "narrator per language, so language and speaker coincide: test accuracy measures new words from "
            "known speakers, not new speakers"
        )


def held_out(task: str, preprocessing: AudioPreprocessing, variant: str) -> SpokenLanguageDataModule | None:
    """The prepared test clips for ``full``; None for ``embedded``: the recordings are GPL-2, never embedded."""
    return SpokenLanguageDataModule.held_out_for(preprocessing, variant)
