"""Labelled texts as a LightningDataModule: tokenized once, batched with right padding.

Subclasses (Rotten Tomatoes, a user's CSV/JSONL) provide the split texts and labels; this
class owns the tokenizer: it loads one (``tokenizer=`` a tokenizer.json or a text
checkpoint folder, so a classifier reads text exactly as its pretrained encoder did) or
trains a byte-level BPE on the training texts alone. Batches are ``{"input_ids": (B, N)
right-padded, "label": (B,)}``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch
from torch.utils.data import DataLoader

from zoo.data.arrays import FieldsDataset, SplitsDataModule
from zoo.data.batch import INPUT_IDS, LABEL, collate
from zoo.data.preprocessing.text import TextPreprocessing
from zoo.errors import ZooError

Texts = tuple[list[str], list[str]]  # (texts, labels)


class TextClassificationDataModule(SplitsDataModule):
    """Train / val / test texts with labels, tokenized in ``setup``.

    Subclasses implement :meth:`load_splits` and set ``classes`` (index i -> classes[i]).

    Args:
        tokenizer: a tokenizer.json or a text checkpoint folder (an encoder's, framing texts
            as [CLS] ... [SEP], or a causal LM's: the bare tokens); None trains an encoder BPE
            of ``vocab_size`` ids on the training texts. ``preprocessing`` may also be set
            directly before ``setup`` (fine-tuning passes the checkpoint's).
        vocab_size: ids of a newly trained tokenizer.
        max_len: longest id sequence kept ([CLS] and [SEP] included, where the tokenizer adds them).
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
        self.datasets: dict[str, FieldsDataset] | None = None

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
                self.tokenizer, splits["train"][0], self.vocab_size, "encoder", self.lowercase, self.max_len,
                accepts=("encoder", "causal"),  # a GPT's tokenizer too: its classifier pools the bare tokens
            )  # fmt: skip
        index = {label: i for i, label in enumerate(self.classes)}
        self.datasets = {}
        for name, (texts, labels) in splits.items():
            unknown = sorted(set(labels) - set(index))
            if unknown:
                raise ZooError(f"{name} split has labels {unknown} that are not among {self.classes}")
            ids = self.preprocessing.encode_batch(texts)
            self.datasets[name] = FieldsDataset({INPUT_IDS: ids, LABEL: torch.tensor([index[y] for y in labels])})

    def predict_dataloader(self) -> DataLoader:
        return self.test_dataloader()

    def collate_fn(self) -> Callable:
        return partial(collate, padding={INPUT_IDS: self.preprocessing.pad_id})

