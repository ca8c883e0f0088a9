"""The vocabulary of a word-vector model: words to ids, with the corpus counts it was built from.

Text is split into words by :func:`words_of` (lowercased runs of letters: "God's" -> "god",
"s"), the one way the zoo reads words, in training, in evaluation and in the gensim benchmark.
A checkpoint stores the vocabulary as ``vocab.txt``, a "word count" line per id, most frequent
first (the layout of gensim's and word2vec's vocabulary files). The counts give negative
sampling its noise distribution and subsampling its keep probabilities; config.yaml records the
context the vectors were trained with (``window``, ``negatives``), so held-out data is scored
with the same examples.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import torch
from torch import Tensor

from zoo.errors import ZooError
from zoo.hub.files import VOCABULARY

WORD = re.compile(r"[^\W\d_]+")


def words_of(text: str) -> list[str]:
    """A text's words: lowercased runs of letters (digits and punctuation separate them)."""
    return WORD.findall(text.lower())


class WordPreprocessing:
    """Words <-> ids of a vocabulary, id 0 the most frequent word.

    Args:
        words: the vocabulary, most frequent first, each word once.
        counts: each word's count in the training corpus.
        window: the context either side the vectors were trained with.
        negatives: noise words per context word they were trained with.
    """

    kind = "words"

    def __init__(self, words: Sequence[str], counts: Sequence[int], window: int = 5, negatives: int = 5) -> None:
        if len(words) != len(counts) or not words:
            raise ZooError(f"a vocabulary needs a count per word; got {len(words)} words and {len(counts)} counts")
        self.words, self.counts = list(words), torch.tensor(list(counts), dtype=torch.float64)
        self.window, self.negatives = window, negatives
        self.index = {word: i for i, word in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ZooError("the vocabulary lists a word twice")

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], min_count: int = 5, **context) -> WordPreprocessing:
        """The words of ``sentences`` seen at least ``min_count`` times, most frequent first
        (ties alphabetical, so a corpus always gives the same ids); ``context``: window, negatives."""
        counts = Counter(word for sentence in sentences for word in sentence)
        kept = sorted((word for word, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
        if not kept:
            raise ZooError(f"no word occurs {min_count} times in the corpus; lower min_count")
        return cls(kept, [counts[word] for word in kept], **context)

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, sentences: Iterable[Sequence[str]]) -> tuple[Tensor, Tensor]:
        """Sentences of words -> (ids (T,), sentence (T,)): the in-vocabulary words of all
        sentences in order and the sentence each came from (other words are dropped, as
        word2vec does before it forms windows)."""
        ids, rows = [], []
        for row, sentence in enumerate(sentences):
            known = [self.index[word] for word in sentence if word in self.index]
            ids.extend(known)
            rows.extend([row] * len(known))
        return torch.tensor(ids, dtype=torch.long), torch.tensor(rows, dtype=torch.long)

    def keep_probabilities(self, sample: float) -> Tensor:
        """(V,) the chance an occurrence of each word is kept by subsampling of frequent words
        (word2vec's formula, as gensim: ``(sqrt(f / t) + 1) * t / f`` of the word's share f of
        the corpus and threshold t = ``sample``, at most 1); all ones for ``sample`` 0."""
        if sample <= 0:
            return torch.ones(len(self))
        threshold = sample * self.counts.sum()
        return ((self.counts / threshold).sqrt() + 1).mul(threshold / self.counts).clamp(max=1).float()

    def noise_distribution(self, power: float = 0.75) -> Tensor:
        """(V,) the probability negative sampling draws each word with: count ** power, normalised."""
        weights = self.counts**power
        return (weights / weights.sum()).float()

    def batch(self, words: Sequence[str], first: int = 1) -> Tensor:
        """Words -> (B,) ids; a word outside the vocabulary is a ZooError naming it."""
        ids = []
        for number, word in enumerate(words, first):
            if not isinstance(word, str) or not word.strip():
                raise ZooError(f"word {number} is empty; give a word")
            key = word.strip().lower()
            if key not in self.index:
                raise ZooError(f"{word!r} is not in the vocabulary of {len(self):,} words; try another word")
            ids.append(self.index[key])
        return torch.tensor(ids, dtype=torch.long)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "window": self.window, "negatives": self.negatives}

    def files(self) -> dict[str, str]:
        return {VOCABULARY: "".join(f"{word} {int(count)}\n" for word, count in zip(self.words, self.counts))}


def from_dict(args: dict, files: dict[str, str]) -> WordPreprocessing:
    """From the checkpoint's ``vocab.txt``."""
    if VOCABULARY not in files:
        raise ZooError(f"a word-vector checkpoint needs {VOCABULARY} beside config.yaml; it is missing")
    words, counts = [], []
    for number, line in enumerate(files[VOCABULARY].splitlines(), 1):
        parts = line.split(" ")
        if len(parts) != 2 or not parts[1].isdigit():
            raise ZooError(f"{VOCABULARY} line {number} is not 'word count': {line[:60]!r}")
        words.append(parts[0])
        counts.append(int(parts[1]))
    return WordPreprocessing(words, counts, **args)
