"""Unlabelled text as a LightningDataModule for language modelling.

Two objectives, each with the batches its task expects, ``(inputs, targets)``:

- ``causal`` (GPT, LSTM LM): the split's texts are tokenized, one per line, into one id
  stream cut into windows of ``seq_len + 1``; inputs are a window's first ``seq_len`` ids,
  targets the same shifted by one. Consecutive windows share one id, so every token of
  the stream is predicted exactly once.
- ``masked`` (BERT): each text is one ``[CLS] ... [SEP]`` sequence of at most ``seq_len``
  ids; inputs and targets are both the ids (right-padded; padded targets are -100), and
  ``MaskedLMTask`` chooses the masked positions.

Corpora: ``web-bible`` (verses; a text is a verse) and ``rotten-tomatoes`` (review snippets
of the training split, plus the plot summaries in the full variant; validation and test
are the held-out snippets).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
from torch import Tensor
from torch.utils.data import Dataset, TensorDataset

from zoo.data import rotten_tomatoes, web_bible
from zoo.data.arrays import SplitsDataModule
from zoo.data.preprocessing import TextPreprocessing
from zoo.data.text_classification import TokenizedDataset
from zoo.errors import ZooError

IGNORE = -100  # cross-entropy's ignore_index: no loss at padded positions
CORPORA = ("web-bible", "rotten-tomatoes")
Objective = Literal["causal", "masked"]


def corpus_splits(corpus: str, variant: str) -> dict[str, list[str]]:
    """{"train" | "val" | "test": texts} of a named corpus."""
    if corpus == "web-bible":
        return {
            name: [v for chapter in chapters for v in chapter]
            for name, chapters in web_bible.load_splits(variant).items()
        }
    if corpus == "rotten-tomatoes":
        splits = rotten_tomatoes.load_splits(variant)
        return {"train": rotten_tomatoes.unlabelled_texts(variant), "val": splits["val"][0], "test": splits["test"][0]}
    raise ZooError(f"unknown corpus {corpus!r}; choose one of: {', '.join(CORPORA)}")


def windows(stream: Tensor, seq_len: int) -> TensorDataset:
    """(T,) ids -> (inputs, targets) windows of (seq_len,) each; a short tail is dropped."""
    count = (len(stream) - 1) // seq_len
    if count < 1:
        raise ZooError(f"the text has {len(stream)} tokens, fewer than seq_len + 1 = {seq_len + 1}")
    starts = torch.arange(count) * seq_len
    index = starts[:, None] + torch.arange(seq_len + 1)  # (count, seq_len + 1)
    chunks = stream[index]
    return TensorDataset(chunks[:, :-1].contiguous(), chunks[:, 1:].contiguous())


class LanguageModelDataModule(SplitsDataModule):
    """A corpus tokenized for ``objective`` (see the module docstring).

    Args:
        corpus: "web-bible" or "rotten-tomatoes".
        variant: "embedded" (ships in the package) or "full" (prepared / installed data).
        objective: "causal" or "masked".
        tokenizer: a tokenizer.json or a text checkpoint folder; None trains a byte-level
            BPE of ``vocab_size`` ids on the training texts.
        vocab_size: ids of a newly trained tokenizer.
        seq_len: window length (causal) or longest sequence (masked); the model's context.
        lowercase: lowercase before tokenizing (a newly trained tokenizer).
        batch_size: sequences per batch on each device.
        num_workers: DataLoader worker processes.
    """

    def __init__(
        self,
        corpus: str = "web-bible",
        variant: Literal["embedded", "full"] = "embedded",
        objective: Objective = "causal",
        tokenizer: str | None = None,
        vocab_size: int = 8000,
        seq_len: int = 128,
        lowercase: bool = False,
        batch_size: int = 32,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        if corpus not in CORPORA:
            raise ZooError(f"unknown corpus {corpus!r}; choose one of: {', '.join(CORPORA)}")
        if objective not in ("causal", "masked"):
            raise ZooError(f"objective must be 'causal' or 'masked', got {objective!r}")
        self.corpus, self.variant, self.objective = corpus, variant, objective
        self.tokenizer, self.vocab_size, self.seq_len, self.lowercase = tokenizer, vocab_size, seq_len, lowercase
        self.batch_size, self.num_workers = batch_size, num_workers
        self.preprocessing: TextPreprocessing | None = None
        self.datasets: dict[str, Dataset] | None = None

    @property
    def description(self) -> str:
        name = {"web-bible": "World English Bible", "rotten-tomatoes": "Rotten Tomatoes snippets"}[self.corpus]
        return f"{name} ({self.variant} variant), {self.objective} language modelling, {self.seq_len}-token context"

    def setup(self, stage: str | None = None) -> None:
        """Read and tokenize every split once (training a tokenizer first if none was given)."""
        if self.datasets is not None:
            return
        splits = corpus_splits(self.corpus, self.variant)
        style = "causal" if self.objective == "causal" else "encoder"
        if self.preprocessing is None:
            self.preprocessing = TextPreprocessing.load_or_train(
                self.tokenizer, splits["train"], self.vocab_size, style, self.lowercase, self.seq_len
            )
        if self.preprocessing.style != style:
            raise ZooError(
                f"{self.objective} language modelling needs a {style!r} tokenizer, not a {self.preprocessing.style!r} one"
            )
        self.datasets = {name: self._dataset(texts) for name, texts in splits.items()}

    def _dataset(self, texts: list[str]) -> Dataset:
        p = self.preprocessing
        if self.objective == "causal":
            lines = p.tokenizer.encode_batch([text + "\n" for text in texts], add_special_tokens=False)
            return windows(torch.tensor([i for line in lines for i in line.ids]), self.seq_len)
        ids = p.encode_batch(texts)
        return TokenizedDataset(ids, [0] * len(ids))

    def collate_fn(self) -> Callable | None:
        return None if self.objective == "causal" else self._collate_masked

    def _collate_masked(self, items: list[tuple[Tensor, int]]) -> tuple[Tensor, Tensor]:
        ids = self.preprocessing.collate([i for i, _ in items])
        return ids, ids.masked_fill(ids == self.preprocessing.pad_id, IGNORE)
