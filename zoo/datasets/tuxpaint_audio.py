"""Every recording Tux Paint ships, unlabelled: the audio corpus for masked-spectrogram pretraining.

Debian's ``tuxpaint-stamps-default`` and ``tuxpaint-data`` (GPL-2) hold real recordings:
the stamps' sound effects (``<stamp>.ogg``: animals, vehicles, instruments, weather), their
spoken names and descriptions in about 20 languages (``<stamp>_<lang>.ogg``,
``<stamp>_desc_<lang>.ogg``) and the program's own sound effects (``sounds/**``).
``zoo data prepare tuxpaint-audio`` writes each recording once (byte-identical copies dropped)
as 16 kHz FLAC under the data cache::

    tuxpaint-audio/{train,val,test}/{effect,speech}/<name>-<sha256 prefix>.flac

"speech" is a stamp's spoken name or description, "effect" everything else; pretraining
ignores the two labels. Splits go by stamp with :func:`zoo.datasets.spoken_language.split_of`
(the program's sounds by file name), so the spoken-language set's validation and test
recordings are validation and test here too: a model pretrained on this corpus never heard
them. No transfer-suite set draws from Tux Paint's audio (the suite's are Hydrogen drums,
Sonic Pi samples, KLettres letters and the embedded spoken digits). The data is not embedded
(GPL-2).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from zoo.data.cache import data_home
from zoo.data.preprocessing.audio import AudioPreprocessing
from zoo.datasets.prepared_audio import PreparedAudioDataModule, write_audio_folder
from zoo.datasets.spoken_language import split_of
from zoo.errors import ZooError

DEBIAN_TUXPAINT = Path("/usr/share/tuxpaint")
PREPARE = "zoo data prepare tuxpaint-audio (needs: apt install tuxpaint-stamps-default)"
CLASSES = ("effect", "speech")
_AUDIO = (".ogg", ".wav")
_IMAGES = (".png", ".svg")


def stamp_of(path: Path) -> str | None:
    """The stamp a recording belongs to: the longest image name beside it that its name is or
    starts with (``cat_desc_fr.ogg`` beside ``cat.png``: ``cat``); None for a file no stamp owns."""
    stem = path.name.rsplit(".", 1)[0]
    images = {p.name.rsplit(".", 1)[0] for p in path.parent.iterdir() if p.suffix.lower() in _IMAGES}
    owners = [name for name in images if stem == name or stem.startswith(name + "_")]
    return max(owners, key=len) if owners else None


def find_recordings(source: Path) -> list[tuple[Path, str, str, str]]:
    """Every recording under ``source`` -> (file, split, kind, sha256), copies dropped (the first
    path in sorted order kept)."""
    seen, found = set(), []
    for path in sorted(p for p in source.rglob("*") if p.suffix.lower() in _AUDIO and p.is_file()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        stamp = stamp_of(path)
        kind = "speech" if stamp is not None and path.name.rsplit(".", 1)[0] != stamp else "effect"
        found.append((path, split_of(stamp if stamp is not None else path.name), kind, digest))
    return found


def prepare(source: Path | None = None) -> Path:
    """Write the audio folder into the data cache (idempotent); returns its path."""
    source = source or DEBIAN_TUXPAINT
    if not source.is_dir():
        raise ZooError(f"{source} not found; apt install tuxpaint-stamps-default, or pass --source DIR")
    out = data_home() / "tuxpaint-audio"
    if (out / "train").is_dir():
        return out
    recordings = find_recordings(source)
    if not recordings:
        raise ZooError(f"{source} holds no .ogg or .wav recordings")
    clips = [(path, split, kind, f"{path.name.rsplit('.', 1)[0]}-{digest[:8]}") for path, split, kind, digest in recordings]
    counts = write_audio_folder(out, clips, CLASSES)
    for split in ("train", "val", "test"):
        print(f"{split}: " + ", ".join(f"{counts[split, kind]} {kind}" for kind in CLASSES), end="; ")
    print(f"in {out}")
    return out


class TuxPaintAudioDataModule(PreparedAudioDataModule):
    """Tux Paint's recordings, speech and sound effects (prepared data only; see the module docstring).

    Args: as :class:`zoo.datasets.prepared_audio.PreparedAudioDataModule`.
    """

    name, prepare_command, classes = "tuxpaint-audio", PREPARE, list(CLASSES)

    @property
    def description(self) -> str:
        return (
            f"Tux Paint's recordings ({self.counts('5,574 train, 690 val, 659 test')} clips): stamp sound "
            "effects, spoken stamp names and descriptions in about 20 languages, the program's sounds; split by stamp"
        )


def held_out(task: str, preprocessing: AudioPreprocessing, variant: str) -> TuxPaintAudioDataModule | None:
    """The prepared test clips for ``full``; None for ``embedded``: the recordings are GPL-2, never embedded."""
    return TuxPaintAudioDataModule.held_out_for(preprocessing, variant)
