"""Sentence pairs as a LightningDataModule for translation, and a user's pairs from a TSV file.

Batches (``zoo.data.batch``): ``{"source_ids": (B, S), "target_ids": (B, T)}``; a source is
``tokens </s>``, a target ``<s> tokens </s>`` (``TextPreprocessing.encode_targets``), both
right-padded. One joint tokenizer reads both languages (a ``translation``-style byte-level
BPE, learned from the training pairs of both sides when none is given).

Batches are made once, of pairs of similar length (fairseq's bucketing: pairs sorted by
target then source length with a seeded jitter, cut into ``batch_size`` runs), so little of
a batch is padding; training shuffles the order of those batches each epoch. Evaluation
batches keep the data's own order, so the first ``bleu_batches`` of validation are a fixed,
ordinary subset. Under DDP each rank reads different whole batches (evaluation: each batch
on exactly one rank, as ``zoo.data.arrays.array_loader`` deals them).

A corpus subclasses :class:`TranslationDataModule` and gives its splits in :meth:`load_pairs`;
:class:`PairsFileDataModule` reads a user's ``source<TAB>target`` lines.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor
from torch.utils.data import Dataset

from zoo.data.arrays import SplitsDataModule
from zoo.data.batch import SOURCE_IDS, TARGET_IDS
from zoo.data.preprocessing.text import TextPreprocessing
from zoo.errors import ZooError

Pair = tuple[str, str]  # (source sentence, target sentence)


class PairBatches(Dataset):
    """Pre-made batches of id pairs: item i is batch i, ``{"source_ids": (B, S), "target_ids": (B, T)}``.

    Args:
        sources, targets: (S_j,) and (T_j,) id tensors, one pair per j.
        batch_size: pairs per batch (the last batch may be smaller).
        pad_id: the padding id.
        by_length: group pairs of similar length (training); False keeps their order.
        seed: the length jitter's seed, so ties fall differently from corpus order.
    """

    def __init__(
        self,
        sources: Sequence[Tensor],
        targets: Sequence[Tensor],
        batch_size: int,
        pad_id: int,
        by_length: bool = False,
        seed: int = 0,
    ) -> None:
        if len(sources) != len(targets):
            raise ValueError(f"{len(sources)} sources but {len(targets)} targets")
        order = list(range(len(sources)))
        if by_length:
            jitter = random.Random(seed)
            order.sort(key=lambda j: (len(targets[j]), len(sources[j]), jitter.random()))
        self.batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        self.sources, self.targets, self.pad_id = sources, targets, pad_id

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, i: int) -> dict[str, Tensor]:
        rows = self.batches[i]
        pad = torch.nn.utils.rnn.pad_sequence
        return {
            SOURCE_IDS: pad([self.sources[j] for j in rows], batch_first=True, padding_value=self.pad_id),
            TARGET_IDS: pad([self.targets[j] for j in rows], batch_first=True, padding_value=self.pad_id),
        }

    @property
    def num_pairs(self) -> int:
        return len(self.sources)


class TranslationDataModule(SplitsDataModule):
    """Sentence pairs tokenized for translation (see the module docstring).

    Subclasses implement :meth:`load_pairs` and ``description``.

    Args:
        tokenizer: a tokenizer.json or a translation checkpoint folder; None trains a joint
            byte-level BPE of ``vocab_size`` ids on both sides of the training pairs.
            ``preprocessing`` may also be set directly before ``setup`` (evaluation and
            fine-tuning pass the checkpoint's).
        vocab_size: ids of a newly trained tokenizer.
        max_len: the longest source or target in ids (the model's context); longer ones are cut.
        max_train_len: training pairs with a side longer than this many ids are left out
            (None: none are); validation and test keep every pair.
        batch_size: pairs per batch on each device.
        num_workers: DataLoader worker processes.
        seed: the seed of the length bucketing's tie-breaking.
    """

    def __init__(
        self,
        tokenizer: str | None = None,
        vocab_size: int = 8000,
        max_len: int = 256,
        max_train_len: int | None = None,
        batch_size: int = 32,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if max_len < 3:
            raise ZooError(f"max_len must be at least 3 (<s>, a token, </s>), got {max_len}")
        self.tokenizer, self.vocab_size = tokenizer, vocab_size
        self.max_len, self.max_train_len = max_len, max_train_len
        self.batch_size, self.num_workers, self.seed = batch_size, num_workers, seed
        self.preprocessing: TextPreprocessing | None = None
        self.datasets: dict[str, PairBatches] | None = None

    def load_pairs(self) -> dict[str, list[Pair]]:
        """{"train" | "val" | "test": (source, target) pairs} of the corpus (test optional)."""
        raise NotImplementedError

    def setup(self, stage: str | None = None) -> None:
        """Read and tokenize every split once (training the joint tokenizer first if none was given)."""
        if self.datasets is not None:
            return
        splits = self.load_pairs()
        if self.preprocessing is None:
            sides = [text for pair in splits.get("train", []) for text in pair]
            self.preprocessing = TextPreprocessing.load_or_train(
                self.tokenizer, sides, self.vocab_size, "translation", False, self.max_len
            )
        if self.preprocessing.style != "translation":
            raise ZooError(f"translation needs a 'translation' tokenizer, not a {self.preprocessing.style!r} one")
        self.datasets = {name: self._batches(name, pairs) for name, pairs in splits.items() if pairs}

    def _batches(self, name: str, pairs: list[Pair]) -> PairBatches:
        p = self.preprocessing
        sources = p.encode_batch([s for s, _ in pairs])
        targets = p.encode_targets([t for _, t in pairs])
        if name == "train" and self.max_train_len is not None:
            keep = [j for j in range(len(pairs)) if max(len(sources[j]), len(targets[j])) <= self.max_train_len]
            if not keep:
                raise ZooError(f"no training pair has both sides within max_train_len={self.max_train_len} ids")
            sources, targets = [sources[j] for j in keep], [targets[j] for j in keep]
        return PairBatches(sources, targets, self.batch_size, p.pad_id, by_length=name == "train", seed=self.seed)

    @property
    def loader_batch_size(self) -> None:
        """None: each item of a split is already a batch of ``batch_size`` pairs."""
        return None

    def decode(self, ids: Sequence[int]) -> str:
        """Target ids -> text, special tokens dropped (validation BLEU reads the references so)."""
        return self.preprocessing.decode(ids)

    def split_sizes(self) -> str:
        """The pairs of each split, e.g. "29,145 train, 534 val, 1,335 test pairs", once set up."""
        return ", ".join(f"{d.num_pairs:,} {name}" for name, d in self.datasets.items()) + " pairs"


def read_pairs(path: Path) -> list[Pair]:
    """``source<TAB>target`` lines of a UTF-8 file; a line without exactly one tab, or with an
    empty side, is an error naming its line number. Blank lines are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ZooError(f"{path} is not UTF-8 text (byte {err.start}); save it as UTF-8") from None
    except OSError as err:
        raise ZooError(f"{path} cannot be read ({err.strerror})") from None
    pairs = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise ZooError(f"{path}:{number} has {len(parts) - 1} tabs; each line must be source<TAB>target")
        source, target = (" ".join(part.split()) for part in parts)
        if not source or not target:
            raise ZooError(
                f"{path}:{number} has an empty {'source' if not source else 'target'}; fill it or remove the line"
            )
        pairs.append((source, target))
    if not pairs:
        raise ZooError(f"{path} holds no source<TAB>target lines")
    return pairs


class PairsFileDataModule(TranslationDataModule):
    """A user's pairs: one TSV file (a validation share is held out), or a folder holding
    ``train.tsv`` and ``val.tsv`` (and optionally ``test.tsv``).

    Args:
        root: the file or folder.
        val_fraction: share of the pairs of one file held out for validation (every
            ``round(1 / val_fraction)``-th line, so neighbouring lines spread over both).
        Others: see :class:`TranslationDataModule`.
    """

    def __init__(
        self,
        root: str | Path,
        val_fraction: float = 0.1,
        tokenizer: str | None = None,
        vocab_size: int = 8000,
        max_len: int = 256,
        max_train_len: int | None = None,
        batch_size: int = 32,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__(tokenizer, vocab_size, max_len, max_train_len, batch_size, num_workers, seed)
        if not 0 < val_fraction < 1:
            raise ZooError(f"val_fraction must be between 0 and 1, got {val_fraction}")
        self.root = Path(root)
        self.splits = self._read(val_fraction)

    def _read(self, val_fraction: float) -> dict[str, list[Pair]]:
        if self.root.is_file():
            pairs = read_pairs(self.root)
            every = max(2, round(1 / val_fraction))
            val = pairs[every - 1 :: every]
            if not val:
                raise ZooError(f"{self.root}: {len(pairs)} pairs are too few to hold any out; give at least {every}")
            return {"train": [p for i, p in enumerate(pairs) if (i + 1) % every], "val": val}
        if not self.root.is_dir():
            raise ZooError(f"--data {self.root}: no such file or folder; give a .tsv of source<TAB>target lines")
        files = {name: self.root / f"{name}.tsv" for name in ("train", "val", "test")}
        for name in ("train", "val"):
            if not files[name].is_file():
                raise ZooError(f"{self.root} holds no {name}.tsv; give train.tsv and val.tsv, or one .tsv file")
        return {name: read_pairs(path) for name, path in files.items() if path.is_file()}

    @property
    def description(self) -> str:
        counts = ", ".join(f"{len(pairs):,} {name}" for name, pairs in self.splits.items())
        return f"sentence pairs {self.root} ({counts} pairs)"

    def load_pairs(self) -> dict[str, list[Pair]]:
        return self.splits
