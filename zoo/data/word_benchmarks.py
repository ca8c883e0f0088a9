"""The standard tests of word vectors, read from the copy gensim installs (``pip install gensim``).

| name         | what                                                  | size              |
| ------------ | ----------------------------------------------------- | ----------------- |
| ``analogy``  | Mikolov et al.'s questions "a is to b as c is to d"   | 19,544, 14 sections |
| ``wordsim353`` | Finkelstein et al., 2002: word pairs rated 0-10 by people | 353 pairs     |
| ``simlex999``  | Hill et al., 2015: similarity (not relatedness), 0-10   | 999 pairs       |

None is embedded in the zoo: the analogy questions come with Google's word2vec (Apache-2.0),
WordSim-353 and SimLex-999 are their authors' research data, which name no licence that lets
this package redistribute them; gensim (LGPL-2.1) ships all three in ``gensim/test/test_data``
and the zoo reads them there. Words are lowercased; a question or pair with a word outside a
model's vocabulary is left out, and the share kept is reported as coverage (as gensim's
``evaluate_word_analogies`` and ``evaluate_word_pairs`` do).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Sequence
from pathlib import Path

import torch
from torch import Tensor
from torch.utils.data import IterableDataset

from zoo.data.preprocessing.words import WordPreprocessing
from zoo.errors import ZooError

FILES = {"analogy": "questions-words.txt", "wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}
NAMES = tuple(FILES)


def benchmark_path(name: str) -> Path:
    """Where gensim keeps benchmark ``name``; a ZooError if gensim is not installed."""
    if name not in FILES:
        raise ZooError(f"unknown word benchmark {name!r}; choose from {', '.join(NAMES)}")
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise ZooError(f"the word benchmarks come with gensim's test data; run: pip install gensim (for {name})")
    path = Path(spec.submodule_search_locations[0]) / "test" / "test_data" / FILES[name]
    if not path.is_file():
        raise ZooError(
            f"{path} is missing from the installed gensim; reinstall it: pip install --force-reinstall gensim"
        )
    return path


def analogy_questions() -> list[tuple[str, tuple[str, str, str, str]]]:
    """Every analogy question as (section, (a, b, c, d)): a is to b as c is to d, lowercased."""
    questions, section = [], None
    for line in benchmark_path("analogy").read_text().splitlines():
        if line.startswith(":"):
            section = line[1:].strip()
        elif line.strip():
            a, b, c, d = line.lower().split()
            questions.append((section, (a, b, c, d)))
    return questions


def rated_pairs(name: str) -> list[tuple[str, str, float]]:
    """Benchmark ``name``'s (word, word, human score) rows, lowercased."""
    pairs = []
    for line in benchmark_path(name).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            first, second, score = line.split("\t")[:3]
            pairs.append((first.lower(), second.lower(), float(score)))
    return pairs


def covered(vocabulary: WordPreprocessing, rows: Sequence[Sequence[str]]) -> tuple[Tensor, Tensor]:
    """(ids (R, n), kept (len(rows),) bool) of the rows whose words are all in the vocabulary."""
    kept = torch.tensor([all(word in vocabulary.index for word in row) for row in rows], dtype=torch.bool)
    ids = [[vocabulary.index[word] for word in row] for row, keep in zip(rows, kept) if keep]
    return torch.tensor(ids, dtype=torch.long).view(-1, len(rows[0]) if rows else 0), kept


class BenchmarkBatches(IterableDataset):
    """One batch per benchmark, the covered rows as ids: ``{"benchmark": "analogy", "questions":
    (Q, 4), "total": ()}`` or ``{"benchmark": "wordsim353", "pairs": (P, 2), "scores": (P,),
    "total": ()}``, ``total`` the benchmark's row count (for coverage)."""

    def __init__(self, vocabulary: WordPreprocessing, names: Sequence[str] = NAMES) -> None:
        super().__init__()
        self.batches = []
        for name in names:
            if name == "analogy":
                rows = [question for _, question in analogy_questions()]
                ids, kept = covered(vocabulary, rows)
                self.batches.append({"benchmark": name, "questions": ids, "total": torch.tensor(len(rows))})
            else:
                rows = rated_pairs(name)
                ids, kept = covered(vocabulary, [row[:2] for row in rows])
                scores = torch.tensor([row[2] for row in rows])[kept]
                self.batches.append(
                    {"benchmark": name, "pairs": ids, "scores": scores, "total": torch.tensor(len(rows))}
                )

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Iterator[dict]:
        return iter(self.batches)
