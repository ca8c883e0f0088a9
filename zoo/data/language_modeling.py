"""Unlabelled text as a LightningDataModule for language modelling.

Two objectives, each with the batches its task expects (field names: ``zoo.data.batch``):

- ``causal`` (GPT, LSTM LM): the split's texts are tokenized, one per line, into one id
  stream cut into windows of ``seq_len + 1``; ``input_ids`` are a window's first ``seq_len``
  ids, ``target_ids`` the same shifted by one. Consecutive windows share one id, so every
  token of the stream is predicted exactly once. Batches: ``{"input_ids": (B, N),
  "target_ids": (B, N)}``.
- ``masked`` (BERT): each text is one ``[CLS] ... [SEP]`` sequence of at most ``seq_len``
  ids, right-padded; ``MaskedLMTask`` chooses the masked positions. Batches:
  ``{"input_ids": (B, N)}``.

A corpus (a dataset module of ``zoo.datasets``) subclasses
:class:`LanguageModelDataModule` and gives its split texts in :meth:`load_texts`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Literal

import torch
from torch import Tensor
from torch.utils.data import Dataset

from zoo.data.arrays import FieldsDataset, SplitsDataModule
from zoo.data.batch import INPUT_IDS, TARGET_IDS, collate
from zoo.data.preprocessing.text import TextPreprocessing
from zoo.errors import ZooError

Objective = Literal["causal", "masked"]


def windows(stream: Tensor, seq_len: int) -> FieldsDataset:
    """(T,) ids -> {"input_ids", "target_ids"} windows of (seq_len,) each; a short tail is dropped."""
    count = (len(stream) - 1) // seq_len
    if count < 1:
        raise ZooError(f"the text has {len(stream)} tokens, fewer than seq_len + 1 = {seq_len + 1}")
    starts = torch.arange(count) * seq_len
    index = starts[:, None] + torch.arange(seq_len + 1)  # (count, seq_len + 1)
    chunks = stream[index]
    return FieldsDataset({INPUT_IDS: chunks[:, :-1].contiguous(), TARGET_IDS: chunks[:, 1:].contiguous()})


class LanguageModelDataModule(SplitsDataModule):
    """A corpus tokenized for ``objective`` (see the module docstring).

    Subclasses implement :meth:`load_texts` and ``description``.

    Args:
        objective: "causal" or "masked".
        tokenizer: a tokenizer.json or a text checkpoint folder; None trains a byte-level
            BPE of ``vocab_size`` ids on the training texts. ``preprocessing`` may also be
            set directly before ``setup`` (evaluation passes the checkpoint's).
        vocab_size: ids of a newly trained tokenizer.
        seq_len: window length (causal) or longest sequence (masked); the model's context.
        lowercase: lowercase before tokenizing (a newly trained tokenizer).
        batch_size: sequences per batch on each device.
        num_workers: DataLoader worker processes.
    """

    def __init__(
        self,
        objective: Objective = "causal",
        tokenizer: str | None = None,
        vocab_size: int = 8000,
        seq_len: int = 128,
        lowercase: bool = False,
        batch_size: int = 32,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        if objective not in ("causal", "masked"):
            raise ZooError(f"objective must be 'causal' or 'masked', got {objective!r}")
        self.objective = objective
        self.tokenizer, self.vocab_size, self.seq_len, self.lowercase = tokenizer, vocab_size, seq_len, lowercase
        self.batch_size, self.num_workers = batch_size, num_workers
        self.preprocessing: TextPreprocessing | None = None
        self.datasets: dict[str, Dataset] | None = None

    def load_texts(self) -> dict[str, list[str]]:
        """{"train" | "val" | "test": texts} of the corpus."""
        raise NotImplementedError

    def setup(self, stage: str | None = None) -> None:
        """Read and tokenize every split once (training a tokenizer first if none was given)."""
        if self.datasets is not None:
            return
        splits = self.load_texts()
        style = "causal" if self.objective == "causal" else "encoder"
        if self.preprocessing is None:
            self.preprocessing = TextPreprocessing.load_or_train(
                self.tokenizer, splits["train"], self.vocab_size, style, self.lowercase, self.seq_len
            )
        if self.preprocessing.style != style:
            found = self.preprocessing.style
            raise ZooError(f"{self.objective} language modelling needs a {style!r} tokenizer, not a {found!r} one")
        self.datasets = {name: self._dataset(texts) for name, texts in splits.items() if texts}  # embedded: test only

    def _dataset(self, texts: list[str]) -> Dataset:
        p = self.preprocessing
        if self.objective == "causal":
            lines = p.tokenizer.encode_batch([text + "\n" for text in texts], add_special_tokens=False)
            return windows(torch.tensor([i for line in lines for i in line.ids]), self.seq_len)
        return FieldsDataset({INPUT_IDS: p.encode_batch(texts)})

    def collate_fn(self) -> Callable | None:
        return None if self.objective == "causal" else partial(collate, padding={INPUT_IDS: self.preprocessing.pad_id})
