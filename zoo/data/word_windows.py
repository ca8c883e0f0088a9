"""Skip-gram and CBOW training examples from a corpus of sentences, as word2vec forms them.

Mikolov et al., "Efficient Estimation of Word Representations in Vector Space", 2013, and
"Distributed Representations of Words and Phrases and their Compositionality", 2013. Each
training epoch, as word2vec and gensim do:

1. words outside the vocabulary are dropped, then each occurrence of a frequent word is
   dropped with the subsampling probability (``WordPreprocessing.keep_probabilities``);
2. every remaining word is a centre; its context is the words up to ``b`` places either
   side in the same sentence, ``b`` drawn uniformly from 1 .. ``window`` per centre (the
   "dynamic window", which weights near words more);
3. each context slot gets ``negatives`` noise words drawn from count ** 0.75.

Batches (fields of ``zoo.data.batch``'s kind, by name): ``{"centers": (B,), "contexts":
(B, 2W), "context_mask": (B, 2W) bool (False: no word in that slot), "negatives": (B, 2W, K)}``,
W = ``window``, K = ``negatives``. A skip-gram model scores each (centre, context) pair
against its K negatives; a CBOW model averages the contexts and scores the centre against
the first slot's negatives.

Validation and test use every context word within ``window`` (no subsampling, no dynamic
window) and negatives seeded the same each epoch, so the held-out loss compares across
epochs. The test split is followed by the word-benchmark batches (``zoo.data.word_benchmarks``).
A corpus (a dataset module of ``zoo.datasets``) subclasses :class:`WordWindowDataModule`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import lightning as L
import torch
from torch import Tensor
from torch.utils.data import ChainDataset, DataLoader, IterableDataset

from zoo.data.preprocessing.words import WordPreprocessing, words_of
from zoo.errors import ZooError

CENTERS, CONTEXTS, CONTEXT_MASK, NEGATIVES = "centers", "contexts", "context_mask", "negatives"


def context_windows(
    ids: Tensor, sentence: Tensor, window: int, reach: Tensor | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """Every word of a corpus as a centre with the words around it in its sentence.

    Args:
        ids: (T,) word ids, sentences one after another.
        sentence: (T,) the sentence of each word (non-decreasing).
        window: W, the farthest context slot either side.
        reach: (T,) how far each centre's context reaches (1 .. W); None: W for every centre.

    Returns:
        centers (N,), contexts (N, 2W) (slots -W .. -1, 1 .. W) and context_mask (N, 2W),
        for the N centres that have at least one context word.
    """
    offsets = torch.cat([torch.arange(-window, 0), torch.arange(1, window + 1)])  # (2W,)
    positions = torch.arange(len(ids))[:, None] + offsets  # (T, 2W)
    inside = (positions >= 0) & (positions < len(ids))
    positions = positions.clamp(0, max(len(ids) - 1, 0))
    mask = inside & (sentence[positions] == sentence[:, None])
    if reach is not None:
        mask &= offsets.abs() <= reach[:, None]
    rows = mask.any(1)
    return ids[rows], ids[positions[rows]], mask[rows]


class WordWindows(IterableDataset):
    """The batches of one split (see the module docstring), drawn anew each epoch in training.

    Every epoch has the same number of batches (:meth:`__len__`), from the expected number of
    words subsampling keeps, so learning-rate schedules know the run's length; under DDP each
    process takes every ``world``-th example of the same shuffled epoch.

    Args:
        vocabulary: the words and their counts.
        sentences: the split's sentences, each a list of words.
        window: W, the context either side.
        negatives: K, noise words per context slot.
        batch_size: centres per batch.
        sample: the subsampling threshold (0: none); training only.
        train: draw subsampling, dynamic windows, order and negatives anew each epoch; else
            fixed windows and negatives seeded by ``seed`` every epoch.
        seed: seeds every draw (with the epoch in training).
    """

    def __init__(
        self,
        vocabulary: WordPreprocessing,
        sentences: Sequence[Sequence[str]],
        window: int,
        negatives: int,
        batch_size: int,
        sample: float = 0.0,
        train: bool = False,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.ids, self.sentence = vocabulary.encode(sentences)
        if len(self.ids) < 2:
            raise ZooError(f"the split holds {len(self.ids)} vocabulary words; word vectors need sentences of them")
        self.window, self.num_negatives, self.batch_size, self.train, self.seed = (
            window,
            negatives,
            batch_size,
            train,
            seed,
        )
        self.keep = vocabulary.keep_probabilities(sample if train else 0.0)
        self.noise = vocabulary.noise_distribution()
        self.epoch = 0
        self.examples = round(float(self.keep[self.ids].sum())) if train else len(self._windows(None)[0])

    def _rank(self) -> tuple[int, int]:
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            return torch.distributed.get_rank(), torch.distributed.get_world_size()
        return 0, 1

    def __len__(self) -> int:
        return math.ceil(math.ceil(self.examples / self._rank()[1]) / self.batch_size)

    def _windows(self, generator: torch.Generator | None) -> tuple[Tensor, Tensor, Tensor]:
        if generator is None:
            return context_windows(self.ids, self.sentence, self.window)
        kept = torch.rand(len(self.ids), generator=generator) < self.keep[self.ids]
        ids, sentence = self.ids[kept], self.sentence[kept]
        reach = torch.randint(1, self.window + 1, (len(ids),), generator=generator)
        return context_windows(ids, sentence, self.window, reach)

    def __iter__(self) -> Iterator[dict[str, Tensor]]:
        rank, world = self._rank()
        generator = torch.Generator().manual_seed(self.seed + 1000 * self.epoch if self.train else self.seed)
        centers, contexts, mask = self._windows(generator if self.train else None)
        per_rank = len(self) * self.batch_size
        if self.train:  # shuffled, cut or cycled to the epoch's fixed length
            self.epoch += 1
            order = torch.randperm(len(centers), generator=generator)
            order = order.repeat(math.ceil(per_rank * world / len(order)))[: per_rank * world]
        else:
            order = torch.arange(len(centers))
        order = order[rank::world]
        negatives = torch.Generator().manual_seed(generator.initial_seed() + rank + 1)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            noise = torch.multinomial(
                self.noise, len(rows) * contexts.shape[1] * self.num_negatives, True, generator=negatives
            )
            yield {
                CENTERS: centers[rows],
                CONTEXTS: contexts[rows],
                CONTEXT_MASK: mask[rows],
                NEGATIVES: noise.view(len(rows), contexts.shape[1], self.num_negatives),
            }


class WordWindowDataModule(L.LightningDataModule):
    """A corpus as skip-gram / CBOW batches (see the module docstring).

    Subclasses implement :meth:`load_sentences` (split -> texts, each a sentence or a verse)
    and ``description``. The vocabulary is built from the training split, or is the one set in
    ``preprocessing`` before ``setup`` (evaluation passes the checkpoint's, whose window and
    negatives then replace these).

    Args:
        min_count: words seen fewer times in training are left out of the vocabulary.
        window: W, the context either side of a centre.
        negatives: K, noise words per context slot.
        sample: the subsampling threshold (word2vec's 1e-3; 0: none).
        batch_size: centres per batch on each device.
        benchmarks: test also on these word benchmarks (``zoo.data.word_benchmarks.NAMES``).
    """

    def __init__(
        self,
        min_count: int = 5,
        window: int = 5,
        negatives: int = 5,
        sample: float = 1e-3,
        batch_size: int = 512,
        benchmarks: Sequence[str] = ("analogy", "wordsim353", "simlex999"),
    ) -> None:
        super().__init__()
        if window < 1 or negatives < 1 or batch_size < 1 or min_count < 1:
            raise ZooError("min_count, window, negatives and batch_size must each be at least 1")
        self.min_count, self.window, self.negatives, self.sample = min_count, window, negatives, sample
        self.batch_size, self.benchmarks = batch_size, tuple(benchmarks)
        self.preprocessing: WordPreprocessing | None = None
        self.splits: dict[str, WordWindows] = {}

    def load_sentences(self) -> dict[str, list[str]]:
        """{"train", "val", "test"}: the split's texts."""
        raise NotImplementedError

    @property
    def description(self) -> str:
        raise NotImplementedError

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        texts = self.load_sentences()
        sentences = {name: [words_of(text) for text in split] for name, split in texts.items()}
        if self.preprocessing is None:
            self.preprocessing = WordPreprocessing.build(
                sentences["train"], self.min_count, window=self.window, negatives=self.negatives
            )
        self.window, self.negatives = self.preprocessing.window, self.preprocessing.negatives
        options = {"window": self.window, "negatives": self.negatives, "batch_size": self.batch_size}
        for name, split in sentences.items():
            train = name == "train"
            self.splits[name] = WordWindows(
                self.preprocessing, split, sample=self.sample if train else 0, train=train, **options
            )

    def _loader(self, name: str) -> DataLoader:
        return DataLoader(self.splits[name], batch_size=None)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train")

    def val_dataloader(self) -> DataLoader:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        """The test split's batches, then one batch per word benchmark."""
        from zoo.data.word_benchmarks import BenchmarkBatches

        benchmarks = BenchmarkBatches(self.preprocessing, self.benchmarks)
        return DataLoader(ChainDataset([self.splits["test"], benchmarks]), batch_size=None)
