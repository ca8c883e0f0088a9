"""Tux Paint's stamps as real image + speech + text triples, for video + audio + text retrieval.

Debian's ``tuxpaint-stamps-default`` (GPL-2) holds ~800 stamps that have a picture
(``<stamp>.png``), a written description in about 100 languages (``<stamp>.txt``: the English
line first, then ``<lang>.utf8=...``) and, for most, a recorded spoken description
(``<stamp>_desc_<lang>.ogg``, real narrators; mostly fr, ru, ro, ca, bg, es). A stamp is one
example: its picture held still as a clip (``num_frames`` copies), its descriptions in
``num_captions`` languages as the captions (MIL-NCE's positives), and one of its recordings as
the audio. ``zoo data prepare tuxpaint-stamps`` writes them under the data cache::

    tuxpaint-stamps/stamps.npz      images (N, 64, 64, 3) uint8 on white; speech int16 at 8 kHz
    tuxpaint-stamps/stamps.json     [{stamp (its path), split, texts: {lang: text}, speech: [[lang, start, end]]}]

Splits go by stamp with :func:`zoo.datasets.spoken_language.split_of` (80 / 10 / 10), the
spoken-language and tuxpaint-audio sets' split, so no test stamp's picture, words or voice
was seen in training here or in their pretraining. The data is not embedded (GPL-2).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from functools import partial
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from zoo.data.batch import TEXT, collate
from zoo.data.cache import data_home, write_atomically
from zoo.data.preprocessing.multimodal import MultimodalPreprocessing
from zoo.data.preprocessing.text import TextPreprocessing
from zoo.data.preprocessing.video import VideoPreprocessing
from zoo.datasets.spoken_language import split_of
from zoo.errors import ZooError

DEBIAN_STAMPS = Path("/usr/share/tuxpaint/stamps")
PREPARE = "zoo data prepare tuxpaint-stamps (needs: apt install tuxpaint-stamps-default)"
LANGUAGES = ("en", "fr", "es", "ca", "ro", "ru", "bg", "be", "el", "da")  # captions are taken in this order
SIDE, SAMPLE_RATE = 64, 8000
VIDEO_MEAN, VIDEO_STD = 0.45, 0.25
_DESC = re.compile(r"^(?P<stamp>.+)_desc(?:_(?P<lang>[a-z]+))?\.ogg$")  # no language: English


def read_texts(path: Path) -> dict[str, str]:
    """A stamp's ``.txt`` -> {lang: description}: the first line is English, then ``lang.utf8=text``."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    texts = {"en": lines[0]} if lines and lines[0] and "=" not in lines[0] else {}
    for line in lines[1:]:
        key, _, text = line.partition("=")
        lang = key.removesuffix(".utf8")
        if text.strip() and lang in LANGUAGES and lang not in texts:
            texts[lang] = text.strip()
    return texts


def stamp_image(path: Path, side: int = SIDE) -> np.ndarray:
    """A stamp's PNG (any size, with transparency) -> (side, side, 3) uint8 on white, aspect kept."""
    from PIL import Image

    with Image.open(path) as image:
        rgba = image.convert("RGBA")
    scale = side / max(rgba.size)
    size = (max(1, round(rgba.width * scale)), max(1, round(rgba.height * scale)))
    canvas = Image.new("RGBA", (side, side), (255, 255, 255, 255))
    canvas.alpha_composite(rgba.resize(size, Image.Resampling.LANCZOS), ((side - size[0]) // 2, (side - size[1]) // 2))
    return np.asarray(canvas.convert("RGB"))


def speech(path: Path) -> np.ndarray:
    """A recording -> (S,) int16 mono at 8 kHz."""
    import soundfile as sf
    import torchaudio.functional as AF

    samples, rate = sf.read(path, dtype="float32", always_2d=True)
    wave = AF.resample(torch.from_numpy(samples.mean(axis=1)), rate, SAMPLE_RATE)
    return (wave.clamp(-1, 1) * 32767).round().short().numpy()


def find_stamps(source: Path) -> list[dict]:
    """Every stamp with a PNG, a description in one of ``LANGUAGES`` and a recording in one of
    them -> {stamp, split, png, texts, recordings: [(lang, path)]}; a recording stored under
    several stamps (byte-identical) belongs to the first of its paths in sorted order, as in
    spoken-language and tuxpaint-audio, so it lands in the split it has there.

    A stamp is its path below ``source`` (two stamps may share a name: ``cats/lion`` and
    ``cats/cartoon/lion``); its split goes by its name, as spoken-language's does, so stamps of
    one name (which share recordings) share a split."""
    owner: dict[str, Path] = {}  # sha256 -> the first path holding it
    for ogg in sorted(source.rglob("*_desc*.ogg")):
        owner.setdefault(hashlib.sha256(ogg.read_bytes()).hexdigest(), ogg)
    stamps = []
    for png in sorted(source.rglob("*.png")):
        stamp, txt = png.stem, png.with_suffix(".txt")
        if not txt.is_file():
            continue
        texts = read_texts(txt)
        recordings = []
        for ogg in sorted(png.parent.glob(f"{stamp}_desc*.ogg")):
            match = _DESC.match(ogg.name)
            lang = (match["lang"] or "en") if match and match["stamp"] == stamp else None
            if lang in texts and owner[hashlib.sha256(ogg.read_bytes()).hexdigest()] == ogg:
                recordings.append((lang, ogg))
        if recordings:
            path = png.relative_to(source).with_suffix("").as_posix()
            stamps.append(
                {"stamp": path, "split": split_of(stamp), "png": png, "texts": texts, "recordings": recordings}
            )
    return stamps


def full_path() -> Path:
    return data_home() / "tuxpaint-stamps"


def prepare(source: Path | None = None) -> Path:
    """Write the stamps' pictures, recordings and descriptions into the data cache (idempotent)."""
    source = source or DEBIAN_STAMPS
    if not source.is_dir():
        raise ZooError(f"{source} not found; apt install tuxpaint-stamps-default, or pass --source DIR")
    out = full_path()
    if (out / "stamps.json").is_file():
        return out
    stamps = find_stamps(source)
    if not stamps:
        raise ZooError(f"{source} holds no stamps with a picture, a description and a recording")
    images, sounds, rows, offset = [], [], [], 0
    for s in stamps:
        images.append(stamp_image(s["png"]))
        spans = []
        for lang, path in s["recordings"]:
            wave = speech(path)
            sounds.append(wave)
            spans.append([lang, offset, offset + len(wave)])
            offset += len(wave)
        rows.append({"stamp": s["stamp"], "split": s["split"], "texts": s["texts"], "speech": spans})
    buffer = io.BytesIO()
    np.savez(buffer, images=np.stack(images), speech=np.concatenate(sounds))
    write_atomically(out / "stamps.npz", lambda f: f.write(buffer.getvalue()))
    write_atomically(out / "stamps.json", lambda f: f.write(json.dumps(rows, ensure_ascii=False).encode()))
    counts = {split: sum(r["split"] == split for r in rows) for split in ("train", "val", "test")}
    print(f"{len(rows)} stamps ({counts['train']} train, {counts['val']} val, {counts['test']} test), "
          f"{len(sounds)} recordings, in {out}")  # fmt: skip
    return out


class StampClips(Dataset):
    """One split's stamps as clips: ``video`` (3, T, S, S) the picture held still, normalised;
    ``audio`` (S_a,) one recording (training: a random one; else the first in ``LANGUAGES``
    order), cut or zero-padded to ``seconds``; ``text`` (K, N) ids of K descriptions."""

    def __init__(self, rows: list[dict], images: np.ndarray, sounds: np.ndarray, text: TextPreprocessing,
                 video: VideoPreprocessing, num_captions: int, train: bool) -> None:  # fmt: skip
        self.rows, self.images, self.sounds, self.text, self.video = rows, images, sounds, text, video
        self.num_captions, self.train = num_captions, train

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        row, v = self.rows[i], self.video
        picture = torch.from_numpy(self.images[row["index"]]).permute(2, 0, 1).float()[None] / 255  # (1, 3, H, W)
        picture = torch.nn.functional.interpolate(
            picture, size=(v.frame_size, v.frame_size), mode="bilinear", antialias=True
        )
        clip = v.normalize(picture[0])[:, None].expand(-1, v.num_frames, -1, -1).contiguous()
        spans = sorted(row["speech"], key=lambda s: LANGUAGES.index(s[0]))
        _, start, end = spans[int(torch.randint(len(spans), ())) if self.train else 0]
        length = round(v.seconds * v.sample_rate)
        wave = torch.from_numpy(self.sounds[start : min(end, start + length)].astype(np.float32) / 32767)
        langs = [lang for lang in LANGUAGES if lang in row["texts"]]
        captions = [row["texts"][lang] for lang in (langs * self.num_captions)[: self.num_captions]]
        ids = self.text.batch(captions)  # (K, N)
        return {"video": clip, "audio": torch.nn.functional.pad(wave, (0, length - len(wave))), "text": ids}


class TuxPaintStampsDataModule(L.LightningDataModule):
    """Tux Paint's stamps (picture, spoken description, written descriptions) for contrastive
    training and retrieval on held-out stamps (prepared data only; see the module docstring).

    Args:
        num_frames, frame_size, seconds: the clips' shape (the picture repeated) and the audio's span.
        num_captions: descriptions per stamp, in ``LANGUAGES`` order (repeated where fewer).
        vocab_size, max_len: the byte-level BPE trained on the training descriptions, the longest.
        tokenizer: a checkpoint folder or tokenizer.json to read descriptions with instead.
        batch_size, num_workers: the DataLoaders'.
    """

    def __init__(
        self,
        num_frames: int = 8,
        frame_size: int = 32,
        seconds: float = 3.0,
        num_captions: int = 3,
        vocab_size: int = 2000,
        max_len: int = 48,
        tokenizer: str | None = None,
        batch_size: int = 64,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        self.video = VideoPreprocessing(num_frames, frame_size, seconds, SAMPLE_RATE, VIDEO_MEAN, VIDEO_STD)
        self.num_captions, self.vocab_size, self.max_len, self.tokenizer = num_captions, vocab_size, max_len, tokenizer
        self.batch_size, self.num_workers = batch_size, num_workers
        self.preprocessing: MultimodalPreprocessing | None = None  # a checkpoint's, when set before setup

    @property
    def description(self) -> str:
        counts = ", ".join(f"{len(v):,} {k}" for k, v in getattr(self, "splits", {}).items())
        return f"Tux Paint stamps: picture, recorded and written descriptions ({counts or 'by stamp 80/10/10'}; test stamps unseen)"

    def prepare_data(self) -> None:
        if not (full_path() / "stamps.json").is_file():
            raise ZooError(f"the Tux Paint stamps are not prepared; run: {PREPARE}")

    def setup(self, stage: str | None = None) -> None:
        if hasattr(self, "splits"):
            return
        self.prepare_data()
        rows = json.loads((full_path() / "stamps.json").read_text(encoding="utf-8"))
        arrays = np.load(full_path() / "stamps.npz")
        images, sounds = arrays["images"], arrays["speech"]
        for i, row in enumerate(rows):
            row["index"] = i
        by_split = {split: [r for r in rows if r["split"] == split] for split in ("train", "val", "test")}
        if self.preprocessing is None:
            texts = [t for r in by_split["train"] for t in r["texts"].values()]
            text = TextPreprocessing.load_or_train(
                self.tokenizer, texts, self.vocab_size, "encoder", True, self.max_len
            )
            self.preprocessing = MultimodalPreprocessing(self.video, text)
        text = self.preprocessing.text
        self.splits = {
            split: StampClips(split_rows, images, sounds, text, self.video, self.num_captions, split == "train")
            for split, split_rows in by_split.items()
        }

    def _loader(self, split: str, shuffle: bool = False) -> DataLoader:
        captions = partial(collate, padding={TEXT: self.preprocessing.text.pad_id})  # (B, K, max N) ids
        return DataLoader(self.splits[split], batch_size=self.batch_size, shuffle=shuffle, num_workers=self.num_workers,
                          collate_fn=captions, drop_last=shuffle)  # fmt: skip

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._loader("test")


def held_out(task: str, preprocessing: MultimodalPreprocessing, variant: str) -> TuxPaintStampsDataModule | None:
    """The prepared test stamps for ``full``; None for ``embedded``: the data is GPL-2, never embedded."""
    if variant == "embedded":
        return None
    v = preprocessing.video
    data = TuxPaintStampsDataModule(v.num_frames, v.frame_size, v.seconds, max_len=preprocessing.text.max_len)
    data.preprocessing = preprocessing
    return data
