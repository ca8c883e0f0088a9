"""Word vectors to query and test: neighbours, analogies, similarity, the standard benchmarks,
and the word2vec text format (what gensim's ``KeyedVectors`` reads and writes).

Cosine similarity throughout; an analogy "a is to b as c is to ?" is answered by 3CosAdd
(Mikolov et al., 2013): the word nearest b - a + c of unit vectors, the three question words
excluded, as gensim's ``most_similar(positive=[b, c], negative=[a])``. The benchmark scores are
gensim's ``evaluate_word_analogies`` and ``evaluate_word_pairs`` (tests check both on the same
vectors).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.data.cache import write_atomically
from zoo.errors import ZooError


def analogy_answers(vectors: Tensor, questions: Tensor, chunk: int = 1024) -> Tensor:
    """(V, D) vectors, (Q, 3) ids (a, b, c) -> (Q,) the id nearest b - a + c, a, b, c excluded."""
    unit = F.normalize(vectors.float(), dim=1)
    answers = []
    for part in questions.split(chunk):
        target = unit[part[:, 1]] - unit[part[:, 0]] + unit[part[:, 2]]  # (q, D)
        scores = target @ unit.T  # (q, V)
        scores.scatter_(1, part, float("-inf"))
        answers.append(scores.argmax(1))
    return torch.cat(answers) if answers else questions.new_zeros(0)


def average_ranks(values: Tensor) -> Tensor:
    """(N,) values -> (N,) their ranks 1 .. N, tied values sharing the mean of their ranks."""
    order = values.argsort()
    ranks = torch.empty(len(values), dtype=torch.float64)
    ranks[order] = torch.arange(1, len(values) + 1, dtype=torch.float64)
    unique, inverse = values.unique(return_inverse=True)
    total = torch.zeros(len(unique), dtype=torch.float64).index_add_(0, inverse, ranks)
    count = torch.zeros(len(unique), dtype=torch.float64).index_add_(0, inverse, torch.ones_like(ranks))
    return (total / count)[inverse]


def spearman(x: Tensor, y: Tensor) -> float:
    """Spearman's rank correlation of (N,) x and y (Pearson's of their tie-averaged ranks)."""
    if len(x) < 2:
        return float("nan")
    rx, ry = average_ranks(x.double()), average_ranks(y.double())
    rx, ry = rx - rx.mean(), ry - ry.mean()
    return float((rx * ry).sum() / (rx.norm() * ry.norm()))


def pair_similarities(vectors: Tensor, pairs: Tensor) -> Tensor:
    """(V, D) vectors, (P, 2) ids -> (P,) cosine similarity of each pair."""
    return F.cosine_similarity(vectors[pairs[:, 0]].float(), vectors[pairs[:, 1]].float(), dim=1)


class WordVectors:
    """A vector per word, with queries by word.

    Args:
        words: the vocabulary, id i -> ``words[i]``.
        vectors: (V, D) the vectors, row i of ``words[i]``.

    Example:
        >>> vectors = zoo.load("word2vec-skipgram-web-bible").word_vectors
        >>> vectors.analogy("man", "woman", "king")  # [("queen", 0.71), ...]
    """

    def __init__(self, words: Sequence[str], vectors: Tensor) -> None:
        if vectors.ndim != 2 or len(words) != len(vectors):
            raise ZooError(f"{len(words)} words need a (V, D) matrix of {len(words)} rows; got {tuple(vectors.shape)}")
        self.words, self.vectors = list(words), vectors.detach().float().cpu()
        self.index = {word: i for i, word in enumerate(self.words)}
        self.unit = F.normalize(self.vectors, dim=1)

    def __len__(self) -> int:
        return len(self.words)

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def id(self, word: str) -> int:
        """The id of ``word`` (lowercased); a ZooError if the vocabulary lacks it."""
        key = word.strip().lower()
        if key not in self.index:
            raise ZooError(f"{word!r} is not in the vocabulary of {len(self):,} words; try another word")
        return self.index[key]

    def __getitem__(self, word: str) -> Tensor:
        return self.vectors[self.id(word)]

    def _nearest(self, target: Tensor, exclude: Sequence[int], topn: int) -> list[tuple[str, float]]:
        scores = self.unit @ F.normalize(target, dim=0)
        scores[list(exclude)] = float("-inf")
        values, ids = scores.topk(min(topn, len(self) - len(exclude)))
        return [(self.words[i], float(v)) for v, i in zip(values, ids.tolist())]

    def neighbours(self, word: str, topn: int = 10) -> list[tuple[str, float]]:
        """The ``topn`` words most similar to ``word`` (cosine), most similar first."""
        i = self.id(word)
        return self._nearest(self.unit[i], [i], topn)

    def analogy(self, a: str, b: str, c: str, topn: int = 1) -> list[tuple[str, float]]:
        """ "``a`` is to ``b`` as ``c`` is to ?": the ``topn`` words nearest b - a + c (3CosAdd),
        the three excluded; e.g. ("man", "woman", "king") -> queen."""
        ids = [self.id(a), self.id(b), self.id(c)]
        return self._nearest(self.unit[ids[1]] - self.unit[ids[0]] + self.unit[ids[2]], ids, topn)

    def similarity(self, first: str, second: str) -> float:
        """The cosine similarity of two words."""
        return float(self.unit[self.id(first)] @ self.unit[self.id(second)])

    def evaluate(self, benchmarks: Sequence[str] = ("analogy", "wordsim353", "simlex999")) -> dict[str, float]:
        """The standard benchmarks (``zoo.data.word_benchmarks``) over this vocabulary:
        ``analogy_acc`` (of the covered questions) and ``analogy_coverage``, per section
        ``analogy/<section>``; ``<pairs>_spearman`` and ``<pairs>_coverage``."""
        from zoo.data.word_benchmarks import analogy_questions, rated_pairs

        results: dict[str, float] = {}
        for name in benchmarks:
            if name == "analogy":
                questions = analogy_questions()
                rows = [(section, q) for section, q in questions if all(w in self.index for w in q)]
                ids = torch.tensor([[self.index[w] for w in q] for _, q in rows], dtype=torch.long).view(-1, 4)
                correct = analogy_answers(self.vectors, ids[:, :3]) == ids[:, 3]
                results["analogy_acc"] = float(correct.float().mean()) if len(rows) else float("nan")
                results["analogy_coverage"] = len(rows) / len(questions)
                for section in dict.fromkeys(section for section, _ in rows):
                    hits = [bool(ok) for (s, _), ok in zip(rows, correct) if s == section]
                    results[f"analogy/{section}"] = sum(hits) / len(hits)
            else:
                pairs = rated_pairs(name)
                kept = [(a, b, s) for a, b, s in pairs if a in self.index and b in self.index]
                ids = torch.tensor([[self.index[a], self.index[b]] for a, b, _ in kept], dtype=torch.long).view(-1, 2)
                human = torch.tensor([s for _, _, s in kept])
                results[f"{name}_spearman"] = spearman(pair_similarities(self.vectors, ids), human)
                results[f"{name}_coverage"] = len(kept) / len(pairs)
        return results

    def save(self, path: str | Path) -> Path:
        """Write the word2vec text format ("V D" then "word x1 ... xD" per line), atomically."""
        path = Path(path)
        lines = [f"{len(self)} {self.dim}\n"]
        lines += [
            f"{word} {' '.join(f'{x:.6g}' for x in row)}\n" for word, row in zip(self.words, self.vectors.tolist())
        ]
        write_atomically(path, lambda f: f.write("".join(lines).encode()))
        return path

    @classmethod
    def load(cls, path: str | Path) -> WordVectors:
        """Read the word2vec text format (as :meth:`save` and gensim's ``save_word2vec_format`` write it)."""
        path = Path(path)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as err:
            raise ZooError(f"{path} cannot be read as word2vec text ({err})") from None
        header = lines[0].split() if lines else []
        if len(header) != 2 or not all(part.isdigit() for part in header):
            raise ZooError(f"{path} does not start with a 'count dimension' line; is it word2vec text format?")
        count, dim = map(int, header)
        rows = [line.rstrip().split(" ") for line in lines[1:] if line.strip()]
        if len(rows) != count or any(len(row) != dim + 1 for row in rows):
            raise ZooError(f"{path} announces {count} words of {dim} numbers; its lines do not match")
        try:
            vectors = torch.tensor([[float(x) for x in row[1:]] for row in rows])
        except ValueError as err:
            raise ZooError(f"{path} has a value that is not a number ({err})") from None
        return cls([row[0] for row in rows], vectors.view(count, dim))
