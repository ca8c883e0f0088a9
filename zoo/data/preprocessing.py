"""What a model needs done to a raw input file before it sees it, stored in every zoo checkpoint.

A checkpoint's ``config.yaml`` holds ``preprocessing: {kind: image, ...}``;
:func:`preprocessing_from_dict` rebuilds the object, whose ``load(path)`` turns one file
into the model's input tensor: image, text and audio kinds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

import soundfile as sf
import torch
import torchaudio.functional as AF
from PIL import Image, UnidentifiedImageError
from tokenizers import Tokenizer
from torch import Tensor
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

from zoo.data.tokenizer import TOKENIZER, Style, load_tokenizer, tokenizer_style, train_bpe
from zoo.data.transforms import image_eval_transform
from zoo.errors import ZooError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3")


@dataclass(frozen=True)
class ImagePreprocessing:
    """Any image file -> normalised float (channels, size, size).

    Grey images are repeated to 3 channels and colour images averaged to 1 as the model
    needs; the shorter side is resized to ``size`` and the centre cropped square.

    Args:
        size: the square side the model was trained on.
        channels: 1 (grey) or 3 (RGB).
        mean, std: per-channel normalisation of pixels scaled to [0, 1].
    """

    size: int
    channels: int
    mean: Sequence[float]
    std: Sequence[float]
    kind: str = "image"

    def __post_init__(self) -> None:
        if self.channels not in (1, 3):
            raise ZooError(f"image preprocessing needs channels 1 or 3, got {self.channels}")
        if not len(self.mean) == len(self.std) == self.channels:
            raise ZooError(f"mean and std need {self.channels} values each, got {list(self.mean)}, {list(self.std)}")

    def to_dict(self) -> dict:
        return {**asdict(self), "mean": list(self.mean), "std": list(self.std)}

    def open(self, path: str | Path) -> Image.Image:
        """Decode one image file, or raise ZooError naming it."""
        try:
            with Image.open(path) as image:
                image.load()
                return image.convert("L" if self.channels == 1 else "RGB")
        except FileNotFoundError:
            raise ZooError(f"{path}: no such file") from None
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as err:
            raise ZooError(f"{path}: not a readable image ({err.__class__.__name__}: {err})") from None

    def to_uint8(self, image: Image.Image) -> Tensor:
        """PIL image -> uint8 (channels, size, size): resize the shorter side, crop the centre."""
        x = TF.pil_to_tensor(image)
        x = TF.resize(x, self.size, antialias=True)
        return TF.center_crop(x, [self.size, self.size])

    def normalize(self) -> v2.Compose:
        """uint8 (C, H, W) -> normalised float (C, H, W)."""
        return image_eval_transform(self.mean, self.std)

    def load(self, path: str | Path) -> Tensor:
        """Image file -> the model's input, float (channels, size, size)."""
        return self.normalize()(self.to_uint8(self.open(path)))

    def batch(self, paths: Sequence[str | Path], first: int = 1) -> Tensor:
        """Image files -> the model's (B, channels, size, size) input (errors name the file, so
        ``first``, the inputs' numbering that text errors use, is not needed)."""
        return torch.stack([self.load(path) for path in paths])

    def files(self) -> dict[str, str]:
        """Files the checkpoint stores beside config.yaml: none for images."""
        return {}


class TextPreprocessing:
    """A string -> (N,) int64 token ids for the model, N <= ``max_len``.

    Encoder tokenizers give ``[CLS] tokens [SEP]``, causal ones the bare tokens (see
    ``zoo.data.tokenizer``); longer texts are cut to ``max_len`` (keeping [SEP]). The
    tokenizer travels in the checkpoint as ``tokenizer.json``.

    Args:
        tokenizer: a trained ``tokenizers.Tokenizer``.
        max_len: the longest id sequence the model takes.
    """

    kind = "text"

    def __init__(self, tokenizer: Tokenizer, max_len: int) -> None:
        self.tokenizer, self.max_len = tokenizer, max_len
        self.style = tokenizer_style(tokenizer)
        special = {"encoder": ("[PAD]", "[CLS]", "[SEP]", None), "causal": ("<pad>", None, None, "<|endoftext|>")}
        ids = (tokenizer.token_to_id(t) if t else None for t in special[self.style])
        self.pad_id, self.cls_id, self.sep_id, self.eos_id = ids
        self.vocab_size = tokenizer.get_vocab_size()

    @classmethod
    def from_path(cls, path: str | Path, max_len: int) -> TextPreprocessing:
        """From a ``tokenizer.json`` file or a text checkpoint folder."""
        return cls(load_tokenizer(path), max_len)

    @classmethod
    def load_or_train(
        cls, tokenizer: str | None, texts: Sequence[str], vocab_size: int, style: Style, lowercase: bool, max_len: int
    ) -> TextPreprocessing:
        """The tokenizer at ``tokenizer`` (a file or checkpoint folder), which must be of ``style``,
        or a BPE of ``vocab_size`` ids trained on ``texts``."""
        if tokenizer is None:
            return cls(train_bpe(texts, vocab_size, style, lowercase), max_len)
        loaded = cls.from_path(tokenizer, max_len)
        if loaded.style != style:
            raise ZooError(f"{tokenizer} holds an {loaded.style!r} tokenizer; this data needs a {style!r} one")
        return loaded

    def to_dict(self) -> dict:
        return {"kind": self.kind, "max_len": self.max_len}

    def files(self) -> dict[str, str]:
        return {TOKENIZER: self.tokenizer.to_str()}

    def encode_batch(self, texts: Sequence[str], first: int = 1) -> list[Tensor]:
        """Strings -> (N_i,) int64 ids each, framed and cut to ``max_len``; an empty text is an
        error naming its position (counted from ``first``)."""
        _check_texts(texts, first)
        encoded = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [self._frame(e.ids) for e in encoded]

    def encode_prompt(self, text: str) -> Tensor:
        """A prompt -> all its (N,) ids, no special tokens and no cut (the generator checks the context)."""
        _check_texts([text])
        return torch.tensor(self.tokenizer.encode(text, add_special_tokens=False).ids, dtype=torch.long)

    def _frame(self, ids: list[int]) -> Tensor:
        if self.style == "encoder":
            ids = [self.cls_id, *ids[: self.max_len - 2], self.sep_id]
        return torch.tensor(ids[: self.max_len], dtype=torch.long)

    def load(self, text: str) -> Tensor:
        """One string -> (N,) int64 ids."""
        return self.encode_batch([text])[0]

    def batch(self, texts: Sequence[str], first: int = 1) -> Tensor:
        """Strings (numbered from ``first`` in errors) -> the model's (B, N) right-padded ids."""
        return self.collate(self.encode_batch(texts, first))

    def collate(self, inputs: Sequence[Tensor]) -> Tensor:
        """(N_i,) id sequences -> (B, max N_i) right-padded with the pad id."""
        return torch.nn.utils.rnn.pad_sequence(list(inputs), batch_first=True, padding_value=self.pad_id)

    def decode(self, ids: Sequence[int]) -> str:
        """Ids -> text, special tokens dropped."""
        return self.tokenizer.decode(list(ids), skip_special_tokens=True).strip()


def _check_texts(texts: Sequence[str], first: int = 1) -> None:
    for i, text in enumerate(texts, start=first):
        if not isinstance(text, str):
            raise ZooError(f"text {i} is not a string ({text!r}); quote it")
        if not text.strip():
            raise ZooError(f"text {i} is empty ({text!r}); give at least one word")


@dataclass(frozen=True)
class AudioPreprocessing:
    """Any audio file -> (T,) float32 mono waveform at ``sample_rate``, T <= sample_rate * max_seconds.

    Decoded with ``soundfile`` (wav, flac, ogg/vorbis/opus, mp3); channels are averaged to mono
    and any other sample rate is resampled (an 8 kHz file is upsampled: it keeps its 4 kHz
    bandwidth). Only the first ``max_seconds`` are read, so a 10-minute file costs what a
    short one does. Batches are right-padded with zeros, which the audio models treat as
    padding (see ``zoo.frontends.audio``).

    Args:
        sample_rate: the model's rate in Hz.
        max_seconds: the longest clip the model takes; longer files are cut.
    """

    sample_rate: int
    max_seconds: float
    kind: str = "audio"

    def __post_init__(self) -> None:
        if self.sample_rate <= 0 or self.max_seconds <= 0:
            raise ZooError(f"audio preprocessing needs positive sample_rate and max_seconds, got {self}")

    @property
    def max_samples(self) -> int:
        return round(self.sample_rate * self.max_seconds)

    def to_dict(self) -> dict:
        return asdict(self)

    def files(self) -> dict[str, str]:
        return {}

    def load(self, source: str | Path | BinaryIO, name: str | None = None) -> Tensor:
        """A file (path or open binary file, ``name`` naming it in errors) -> (T,) float32 waveform."""
        name = name or str(source)
        if isinstance(source, (str, Path)) and not Path(source).is_file():
            raise ZooError(f"{name}: no such file")
        try:
            with sf.SoundFile(source) as f:
                rate = f.samplerate
                samples = f.read(min(f.frames, math.ceil(self.max_seconds * rate)), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError, TypeError) as err:
            raise ZooError(f"{name}: not a readable audio file ({err}); give wav, flac, ogg or mp3") from None
        if len(samples) == 0:
            raise ZooError(f"{name}: the clip is empty (0 samples); give a clip with sound")
        waveform = torch.from_numpy(samples).mean(dim=1)  # (T,) mono
        if not torch.isfinite(waveform).all():
            raise ZooError(f"{name}: the clip holds NaN or infinite samples")
        if rate != self.sample_rate:
            waveform = AF.resample(waveform, rate, self.sample_rate)
        return waveform[: self.max_samples].contiguous()

    def batch(self, paths: Sequence[str | Path], first: int = 1) -> Tensor:
        """Audio files -> the model's (B, T) input, right-padded with zeros."""
        return self.collate([self.load(path) for path in paths])

    def collate(self, waveforms: Sequence[Tensor]) -> Tensor:
        """(T_i,) waveforms -> (B, max T_i), right-padded with zeros."""
        return pad_waveforms(waveforms)


def pad_waveforms(waveforms: Sequence[Tensor]) -> Tensor:
    """(T_i,) waveforms -> (B, max T_i), right-padded with zeros (which audio models read as padding)."""
    return torch.nn.utils.rnn.pad_sequence(list(waveforms), batch_first=True)


KINDS = {"image": ImagePreprocessing, "text": TextPreprocessing, "audio": AudioPreprocessing}
Preprocessing = ImagePreprocessing | TextPreprocessing | AudioPreprocessing


def preprocessing_from_dict(spec: dict, files: dict[str, str] | None = None) -> Preprocessing:
    """Rebuild the preprocessing saved in a checkpoint's config (``files``: the checkpoint's
    extra files by name, e.g. ``tokenizer.json``)."""
    kind = spec.get("kind") if isinstance(spec, dict) else None
    if kind not in KINDS:
        raise ZooError(f"unknown preprocessing kind {kind!r}; this zoo knows: {', '.join(KINDS)}")
    args = {k: v for k, v in spec.items() if k != "kind"}
    try:
        if kind == "text":
            if TOKENIZER not in (files or {}):
                raise ZooError(f"a text checkpoint needs {TOKENIZER} beside config.yaml; it is missing")
            try:
                tokenizer = Tokenizer.from_str(files[TOKENIZER])
            except Exception as err:  # noqa: BLE001 -- the Rust library raises a bare Exception
                raise ZooError(f"the checkpoint's {TOKENIZER} cannot be read ({err})") from None
            return TextPreprocessing(tokenizer, **args)
        return KINDS[kind](**args)
    except TypeError as err:
        raise ZooError(f"checkpoint preprocessing {spec}: {err}") from None
