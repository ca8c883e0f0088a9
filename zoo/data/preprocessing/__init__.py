"""What a model needs done to a raw input before it sees it, stored in every zoo checkpoint.

A checkpoint's ``config.yaml`` holds ``preprocessing: {kind: image, ...}``;
:func:`preprocessing_from_dict` rebuilds the object of that kind, whose ``batch(inputs)``
turns raw inputs into the model's input tensor:

| kind    | module                         | inputs                                                          |
| ------- | ------------------------------ | --------------------------------------------------------------- |
| image   | ``zoo.data.preprocessing.image`` | image files, PIL images, pixel arrays / tensors                 |
| text    | ``zoo.data.preprocessing.text``  | strings                                                         |
| audio   | ``zoo.data.preprocessing.audio`` | audio files, ``(waveform, sample_rate)`` pairs                  |
| video   | ``zoo.data.preprocessing.video`` | video files (frames, and soundtracks)                           |
| multimodal | ``zoo.data.preprocessing.multimodal`` | video files, sounds and strings, each to its modality  |
| words   | ``zoo.data.preprocessing.words`` | words (strings), to their ids in the vocabulary                 |

Each kind lives in its own module, imported only when a checkpoint of that kind is loaded,
so an image model never imports the audio or text libraries (soundfile, torchaudio,
tokenizers).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image
from torch import Tensor

from zoo.errors import ZooError

KINDS = {
    "image": "zoo.data.preprocessing.image",
    "text": "zoo.data.preprocessing.text",
    "audio": "zoo.data.preprocessing.audio",
    "video": "zoo.data.preprocessing.video",
    "multimodal": "zoo.data.preprocessing.multimodal",
    "words": "zoo.data.preprocessing.words",
}  # each module has ``from_dict(args, files)``


class Preprocessing(Protocol):
    """What every kind offers: its ``kind``, how it is saved, and raw inputs -> a model batch."""

    kind: str

    def to_dict(self) -> dict:
        """The ``preprocessing`` section of config.yaml (``kind`` included)."""

    def files(self) -> dict[str, str]:
        """Files the checkpoint stores beside config.yaml, by name (e.g. tokenizer.json)."""

    def batch(self, inputs: Sequence[Any], first: int = 1) -> Tensor:
        """Raw inputs (numbered from ``first`` in errors) -> the model's (B, ...) input."""


def preprocessing_from_dict(spec: dict, files: dict[str, str] | None = None) -> Preprocessing:
    """Rebuild the preprocessing saved in a checkpoint's config (``files``: the checkpoint's
    extra files by name, e.g. ``tokenizer.json``)."""
    kind = spec.get("kind") if isinstance(spec, dict) else None
    if kind not in KINDS:
        raise ZooError(f"unknown preprocessing kind {kind!r}; this zoo knows: {', '.join(KINDS)}")
    args = {k: v for k, v in spec.items() if k != "kind"}
    try:
        return importlib.import_module(KINDS[kind]).from_dict(args, files or {})
    except (TypeError, KeyError) as err:
        raise ZooError(f"checkpoint preprocessing {spec}: {err}") from None


def input_name(source: object, number: int) -> str:
    """How outputs and errors name input ``number`` (counted from 1): a file by its path, an
    in-memory input by its type and number ("<image 1>", "<array 2>", "<tensor 3>", "<waveform 4>")."""
    if isinstance(source, (str, Path)):
        return str(source)
    if isinstance(source, Image.Image):
        return f"<image {number}>"
    if isinstance(source, np.ndarray):
        return f"<array {number}>"
    if isinstance(source, Tensor):
        return f"<tensor {number}>"
    if isinstance(source, tuple):
        return f"<waveform {number}>"
    return f"<input {number}>"
