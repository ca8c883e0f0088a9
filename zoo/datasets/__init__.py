"""The built-in datasets: one module each, listed in :data:`DATASETS`, a line per dataset.

Each module holds the dataset's DataModule classes and declares:

- ``held_out(task, preprocessing, variant) -> LightningDataModule | None``: the test data a
  checkpoint of ``task`` (e.g. ``text-classification``) trained on the dataset is measured on,
  read through the checkpoint's ``preprocessing``; ``variant`` "embedded" (ships in the
  package; None where the data may not be embedded) or "full" (prepared or installed).
- ``prepare(source: Path | None) -> Path``, where the row says ``prepares``: what ``zoo data
  prepare NAME`` runs to build the full data into the cache (from ``source`` or where it is
  found); embedded-only sets have none.
- where the row names a ``files`` module, that module's ``write_files(out: Path, split: str,
  count: int, layout=...) -> Path``: what ``zoo data files NAME --output DIR`` runs to write
  examples as ordinary files (Moving Fashion's clips as mp4).

A checkpoint finds its dataset by the datamodule it recorded (``data`` in config.yaml: its
module is a row's ``module``, or one of the row's ``legacy`` modules where older zoo versions
kept the dataset), and otherwise by its task (``legacy`` tasks: the one dataset each task was
trained on before checkpoints recorded their data). A new dataset is one module and one line here.
Modules are imported only when used, so ``import zoo`` reads none of them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from zoo.errors import ZooError


@dataclass(frozen=True)
class Dataset:
    """One row of the table (see the module docstring).

    Attributes:
        name: what ``zoo data prepare`` and the docs call it.
        module: the module that holds it, e.g. ``zoo.datasets.fashion_mnist``.
        prepares: whether the module has a ``prepare`` (a full version to build).
        legacy: modules older checkpoints recorded its datamodule in, and tasks of older
            checkpoints that recorded no datamodule, which this dataset answers for.
        files: the module whose ``write_files`` writes its examples as ordinary files, if any.
    """

    name: str
    module: str
    prepares: bool
    legacy: tuple[str, ...] = ()
    files: str | None = None

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


DATASETS = (
    # Dataset(name, module, prepares, legacy: older checkpoints' data modules and tasks)
    Dataset("fashion-mnist", "zoo.datasets.fashion_mnist", True, ("zoo.data.fashion_mnist", "image-classification")),
    Dataset("rotten-tomatoes", "zoo.datasets.rotten_tomatoes", False, ("text-classification", "text-masked-lm")),
    Dataset("web-bible", "zoo.datasets.web_bible", True, ("text-causal-lm",)),
    Dataset("spoken-digits", "zoo.datasets.spoken_digits", False, ("zoo.data.spoken_digits",)),
    Dataset("spoken-language", "zoo.datasets.spoken_language", True, ("zoo.data.spoken_language",)),
    Dataset("english-corpus", "zoo.datasets.english_corpus", True),
    Dataset("tuxpaint-audio", "zoo.datasets.tuxpaint_audio", True),
    Dataset("bible-en-es", "zoo.datasets.bible_en_es", True),
    Dataset("moving-fashion", "zoo.datasets.moving_fashion", True, files="zoo.datasets.moving_fashion_files"),
    Dataset("tuxpaint-stamps", "zoo.datasets.tuxpaint_stamps", True),
)


def names() -> list[str]:
    """Every built-in dataset's name."""
    return [row.name for row in DATASETS]


def prepare_names() -> list[str]:
    """The datasets ``zoo data prepare NAME`` builds (those with a full version to prepare)."""
    return [row.name for row in DATASETS if row.prepares]


def prepare(name: str, source: str | Path | None = None) -> Path:
    """``zoo data prepare NAME [--source DIR]``: build dataset ``name``'s full data into the cache
    (from ``source``, else where it is installed or downloadable); returns where it went."""
    rows = {row.name: row for row in DATASETS}
    if name not in rows:
        raise ZooError(f"unknown dataset {name!r}; choose one of: {', '.join(prepare_names())}")
    if not rows[name].prepares:
        raise ZooError(f"{name} ships whole inside the package: nothing to prepare; use it as it is")
    return rows[name].load().prepare(Path(source) if source else None)


def write_files(name: str, output: str | Path, count: int = 20, split: str = "test", layout: str = "captions") -> Path:
    """``zoo data files NAME --output DIR``: write ``count`` examples of dataset ``name``'s
    ``split`` as ordinary files (for a video dataset: video files and a captions CSV, or a
    folder a label with ``layout="labels"``), to try the commands on or to copy the layout of
    for custom data."""
    rows = {row.name: row for row in DATASETS}
    if name not in rows:
        raise ZooError(f"unknown dataset {name!r}; choose one of: {', '.join(rows)}")
    if rows[name].files is None:
        writers = [row.name for row in DATASETS if row.files]
        raise ZooError(f"{name} is not written as files; these are: {', '.join(writers)}")
    return importlib.import_module(rows[name].files).write_files(Path(output), split, count, layout=layout)


def for_checkpoint(data: str | None, task: str) -> Dataset | None:
    """The dataset a checkpoint was trained on: by ``data``, the datamodule class path it
    recorded, else by its ``task``; None when neither is a built-in dataset's."""
    module = data.rpartition(".")[0] if data else None
    for row in DATASETS:
        if module is not None and (module == row.module or module in row.legacy):
            return row
    return next((row for row in DATASETS if task in row.legacy), None)
