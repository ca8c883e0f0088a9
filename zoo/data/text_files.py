"""A user's labelled texts from CSV, TSV or JSON Lines files, read with Hugging Face ``datasets``.

Layouts:

    reviews.csv                                 one file: a validation split is carved out per label
    DIR/train.csv  DIR/val.csv  [DIR/test.csv]  given splits (.csv, .tsv, .jsonl or .json)

Each file has a text column and a label column (``text`` and ``label`` unless named).
Labels are read as strings, so ``1`` and ``"1"`` are the same label.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from zoo.data.splits import stratified_split
from zoo.data.text_classification import TextClassificationDataModule, Texts
from zoo.errors import ZooError

BUILDERS = {".csv": "csv", ".tsv": "csv", ".jsonl": "json", ".json": "json"}


def read_table(path: Path, text_column: str, label_column: str) -> Texts:
    """(texts, labels) of one file; a missing column or an empty text is an error naming it."""
    import datasets

    if path.suffix.lower() not in BUILDERS:
        raise ZooError(f"{path}: not a .csv, .tsv, .jsonl or .json file")
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    options = {"delimiter": "\t"} if path.suffix.lower() == ".tsv" else {}
    try:
        with tempfile.TemporaryDirectory() as cache:  # leave no cache of the user's file behind
            table = datasets.load_dataset(
                BUILDERS[path.suffix.lower()],
                data_files=str(path),
                split="train",
                keep_in_memory=True,
                cache_dir=cache,
                **options,
            )
    except Exception as err:  # noqa: BLE001 -- pyarrow and datasets raise many kinds; report the file
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ZooError(f"{path} cannot be read as {BUILDERS[path.suffix.lower()]}: {first}") from None
    for column, flag in ((text_column, "--text-column"), (label_column, "--label-column")):
        if column not in table.column_names:
            raise ZooError(
                f"{path} has no column {column!r} (it has: {', '.join(table.column_names)}); name it with {flag}"
            )
    texts, labels = table[text_column], table[label_column]
    for row, (text, label) in enumerate(zip(texts, labels), start=2 if BUILDERS[path.suffix.lower()] == "csv" else 1):
        if text is not None and not isinstance(text, str):
            raise ZooError(f"{path} row {row}: the text {text!r} is not text; is {text_column!r} the text column?")
        if not text or not text.strip():
            raise ZooError(f"{path} row {row}: the text is empty; fill it or remove the row")
        if label is None or str(label).strip() == "":
            raise ZooError(f"{path} row {row}: the label is empty; fill it or remove the row")
    if not texts:
        raise ZooError(f"{path} holds no rows")
    return list(texts), [str(label) for label in labels]


def find_splits(root: Path) -> dict[str, Path]:
    """{"train": file, optionally "val", "test"} in a folder, or {"train": root} for one file."""
    if root.is_file():
        return {"train": root}
    if not root.is_dir():
        raise ZooError(f"--data {root}: no such file or folder; give a .csv/.jsonl file or a folder with train.csv")
    splits = {}
    for name in ("train", "val", "test"):
        found = [root / f"{name}{suffix}" for suffix in BUILDERS if (root / f"{name}{suffix}").is_file()]
        if found:
            splits[name] = found[0]
    if "train" not in splits:
        raise ZooError(f"{root} holds no train.csv, train.tsv, train.jsonl or train.json")
    return splits


class TextFileDataModule(TextClassificationDataModule):
    """Labelled texts in CSV/TSV/JSONL files (see the module docstring for layouts).

    Args:
        root: a file or a folder of split files.
        classes: label order (index i -> classes[i]); default: the training labels, sorted.
        val_fraction: share of each label held out for validation when no val file is given.
        text_column, label_column: the columns to read.
        Others: see :class:`TextClassificationDataModule` (fine-tuning sets ``preprocessing``
            to the checkpoint's before ``setup``).
    """

    def __init__(
        self,
        root: str | Path,
        classes: Sequence[str] | None = None,
        val_fraction: float = 0.2,
        text_column: str = "text",
        label_column: str = "label",
        tokenizer: str | None = None,
        vocab_size: int = 8000,
        max_len: int = 128,
        lowercase: bool = True,
        batch_size: int = 32,
        num_workers: int = 0,
    ) -> None:
        super().__init__(tokenizer, vocab_size, max_len, lowercase, batch_size, num_workers)
        if not 0 < val_fraction < 1:
            raise ZooError(f"val_fraction must be between 0 and 1, got {val_fraction}")
        self.root = Path(root)
        files = find_splits(self.root)
        self.splits = {name: read_table(path, text_column, label_column) for name, path in files.items()}
        found = sorted(set(self.splits["train"][1]))
        if len(found) < 2:
            raise ZooError(f"{files['train']} has one label only ({found[0]!r}); a classifier needs at least two")
        for name, (_, labels) in self.splits.items():
            if unknown := sorted(set(labels) - set(found)):
                raise ZooError(f"{files[name]} has labels that the training data does not: {', '.join(unknown)}")
        if classes is not None and not set(found) <= set(classes):
            raise ZooError(f"labels {sorted(set(found) - set(classes))} are not among {list(classes)}")
        self.classes = list(classes) if classes is not None else found
        if "val" not in self.splits:
            texts, labels = self.splits["train"]
            train, val = stratified_split(labels, (val_fraction,))
            if not val:
                raise ZooError(f"{self.root}: too few texts to hold any out for validation; add more per label")
            self.splits["train"] = ([texts[i] for i in train], [labels[i] for i in train])
            self.splits["val"] = ([texts[i] for i in val], [labels[i] for i in val])

    @property
    def description(self) -> str:
        counts = ", ".join(f"{len(self.splits[n][0])} {n}" for n in ("train", "val", "test") if n in self.splits)
        return f"text files {self.root} ({len(self.classes)} labels; {counts} texts)"

    def load_splits(self) -> dict[str, Texts]:
        return self.splits
