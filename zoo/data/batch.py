"""What a batch holds: a dict of named fields, so every task reads what it needs by name.

| batch                  | fields                                                            |
| ---------------------- | ----------------------------------------------------------------- |
| image classification   | ``image`` (B, C, H, W) float, ``label`` (B,) int64                |
| text classification    | ``input_ids`` (B, N) int64 right-padded, ``label`` (B,)           |
| audio classification   | ``audio`` (B, T) float zero-padded, ``label`` (B,)                |
| video classification   | ``video`` (B, C, T, H, W) float, ``label`` (B,)                   |
| causal language model  | ``input_ids`` (B, N), ``target_ids`` (B, N) (``IGNORE``: no loss) |
| masked language model  | ``input_ids`` (B, N) right-padded (the task chooses the masks)    |
| translation            | ``source_ids`` (B, S), ``target_ids`` (B, T): BOS y EOS, padded   |
| video + audio + text   | ``video`` (B, C, T, H, W), ``audio`` (B, T_a), ``text`` (B, K, N) |
|                        | ids (K captions a clip); optional ``<modality>_present`` (B,)     |
|                        | bool (False: the row lacks it), ``zero_shot_label`` (B,) (-1:     |
|                        | no single class)                                                  |

A dataset's ``__getitem__`` returns one example as the same dict without the batch axis
(``{"image": (C, H, W), "label": int}``); :func:`collate` batches them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor
from torch.utils.data import default_collate

from zoo.errors import ZooError

IMAGE = "image"
AUDIO = "audio"
VIDEO = "video"
TEXT = "text"  # (B, K, N) ids: K captions of each clip
ZERO_SHOT_LABEL = "zero_shot_label"
INPUT_IDS = "input_ids"
LABEL = "label"
TARGET_IDS = "target_ids"
SOURCE_IDS = "source_ids"  # a translation's source sentence
INPUTS = (IMAGE, AUDIO, VIDEO, INPUT_IDS)  # what a unimodal model reads: exactly one per batch
IGNORE = -100  # cross-entropy's ignore_index: a target that carries no loss

Batch = Mapping[str, Tensor]


def present(batch: Batch, modality: str) -> Tensor:
    """(B,) bool: the rows of a multimodal batch that hold ``modality`` (its ``<modality>_present``
    field; every row when the field is absent)."""
    mask = batch.get(f"{modality}_present")
    if mask is not None:
        return mask.bool()
    return torch.ones(len(batch[modality]), dtype=torch.bool, device=batch[modality].device)


def model_input(batch: Batch) -> Tensor:
    """The one input field of a unimodal batch (``image``, ``audio``, ``video`` or ``input_ids``)."""
    present = [name for name in INPUTS if name in batch]
    if len(present) != 1:
        raise ZooError(
            f"a unimodal model reads exactly one of the fields {', '.join(INPUTS)}; the batch has "
            f"{', '.join(batch) or 'none'}; make the datamodule's examples dicts with one of them"
        )
    return batch[present[0]]


def field(batch: Batch, name: str, task: str) -> Tensor:
    """``batch[name]``, or a ZooError saying that ``task`` needs it."""
    if name not in batch:
        raise ZooError(f"{task} needs the batch field {name!r}; the batch has {', '.join(batch) or 'none'}")
    return batch[name]


def collate(examples: Sequence[Mapping[str, Tensor | int]], padding: Mapping[str, float] | None = None) -> dict:
    """[{field: example}] -> {field: batched}: the fields in ``padding`` are right-padded with
    their value to the longest along every axis ((L_i,) sequences to (B, max L_i); a clip's
    (K, N_i) caption ids to (B, K, max N_i)), the others stacked as PyTorch's default does (ints
    to a (B,) int64 tensor)."""
    padding = padding or {}
    stacked = default_collate([{k: v for k, v in e.items() if k not in padding} for e in examples])
    return {
        name: _pad([e[name] for e in examples], padding[name]) if name in padding else stacked[name]
        for name in examples[0]
    }


def _pad(tensors: Sequence[Tensor], value: float) -> Tensor:
    """Tensors of one rank -> (B, *longest of each axis), right-padded with ``value``."""
    longest = [max(sizes) for sizes in zip(*(t.shape for t in tensors), strict=True)]
    pads = [[p for size, top in zip(reversed(t.shape), reversed(longest)) for p in (0, top - size)] for t in tensors]
    return torch.stack([torch.nn.functional.pad(t, pad, value=value) for t, pad in zip(tensors, pads)])
