"""Labelled texts as a LightningDataModule: tokenized once, batched with right padding.

Subclasses (Rotten Tomatoes, a user's CSV/JSONL) provide the split texts and labels; this
class owns the tokenizer: it loads one (``tokenizer=`` a tokenizer.json or a text
checkpoint folder, so a classifier reads text exactly as its pretrained encoder did) or
trains a byte-level BPE on the training texts alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from zoo.data.arrays import SplitsDataModule
from zoo.data.preprocessing import TextPreprocessing
from zoo.errors import ZooError

Texts = tuple[list[str], list[str]]  # (texts, labels)


class TokenizedDataset(Dataset):
    """(N_i,) id sequences and int targets -> (ids, target)."""

    def __init__(self, ids: Sequence[Tensor], targets: Sequence[int]) -> None:
        self.ids, self.targets = list(ids), list(targets)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> tuple[Tensor, int]:
        return self.ids[i], self.targets[i]


class TextClassificationDataModule(SplitsDataModule):
    """Train / val / test texts with labels, tokenized in ``setup``.

    Subclasses implement :meth:`load_splits` and set ``classes`` (index i -> classes[i]).

    Args:
        tokenizer: a tokenizer.json or a text checkpoint folder; None trains a BPE of
            ``vocab_size`` ids on the training texts. ``preprocessing`` may also be set
            directly before ``setup`` (fine-tuning passes the checkpoint's).
        vocab_size: ids of a newly trained tokenizer.
        max_len: longest id sequence kept ([CLS] and [SEP] included).
        lowercase: lowercase before tokenizing (a newly trained tokenizer).
        batch_size: texts per batch on each device.
        num_workers: DataLoader worker processes.
    """

    classes: list[str]

    def __init__(
        self,
        tokenizer: str | None = None,
        vocab_size: int = 8000,
        max_len: int = 128,
        lowercase: bool = True,
        batch_size: int = 64,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        self.tokenizer, self.vocab_size, self.max_len, self.lowercase = tokenizer, vocab_size, max_len, lowercase
        self.batch_size, self.num_workers = batch_size, num_workers
        self.preprocessing: TextPreprocessing | None = None
        self.datasets: dict[str, TokenizedDataset] | None = None

    def load_splits(self) -> dict[str, Texts]:
        """{"train": (texts, labels), "val": ..., optionally "test": ...}."""
        raise NotImplementedError

    def setup(self, stage: str | None = None) -> None:
        """Read, tokenize (training a tokenizer first if none was given) and index the labels, once."""
        if self.datasets is not None:
            return
        splits = self.load_splits()
        if self.preprocessing is None:
            self.preprocessing = TextPreprocessing.load_or_train(
                self.tokenizer, splits["train"][0], self.vocab_size, "encoder", self.lowercase, self.max_len
            )
        if self.preprocessing.style != "encoder":
            raise ZooError("a text classifier reads [CLS] ... [SEP]; give it an encoder tokenizer, not a causal one")
        index = {label: i for i, label in enumerate(self.classes)}
        self.datasets = {}
        for name, (texts, labels) in splits.items():
            unknown = sorted(set(labels) - set(index))
            if unknown:
                raise ZooError(f"{name} split has labels {unknown} that are not among {self.classes}")
            self.datasets[name] = TokenizedDataset(
                self.preprocessing.encode_batch(texts), [index[label] for label in labels]
            )

    def predict_dataloader(self) -> DataLoader:
        return self.test_dataloader()

    def collate_fn(self) -> Callable:
        return self._collate

    def _collate(self, items: list[tuple[Tensor, int]]) -> tuple[Tensor, Tensor]:
        """((B, N) ids right-padded with the pad id, (B,) targets)."""
        return self.preprocessing.collate([i for i, _ in items]), torch.tensor([t for _, t in items])


def stratified_split(
    texts: Sequence[str], labels: Sequence[str], fractions: Sequence[float], seed: int = 0
) -> list[Texts]:
    """Split per label into ``len(fractions) + 1`` parts, seeded: part i + 1 takes ``fractions[i]``
    of each label, the first part the rest (at least one example of each label).
    """
    generator = torch.Generator().manual_seed(seed)
    parts: list[Texts] = [([], []) for _ in range(len(fractions) + 1)]
    for label in sorted(set(labels)):
        items = [t for t, y in zip(texts, labels) if y == label]
        order = torch.randperm(len(items), generator=generator).tolist()
        start = 0
        for part, fraction in zip(parts[1:], fractions):
            n = min(len(items) - 1 - start, round(fraction * len(items)))
            for i in order[start : start + max(0, n)]:
                part[0].append(items[i])
                part[1].append(label)
            start += max(0, n)
        for i in order[start:]:
            parts[0][0].append(items[i])
            parts[0][1].append(label)
    return parts
