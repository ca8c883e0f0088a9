"""The tables of named checkpoints, and finding a checkpoint's directory from a name or a URL.

``checkpoints/index.yaml`` (installed as ``zoo.checkpoints``) lists each name with:

    name:     vit-tiny-fashion-mnist
    location: vit-tiny-fashion-mnist   # a folder beside index.yaml, an http(s)/file URL of a
                                       # folder, or hf://owner/repo[@revision] on the Hugging Face Hub
    sha256:   digest of model.safetensors
    task:     image-classification
    metrics:  {test/acc: ..., ...}     # measured, as in the checkpoint's metrics.json

A team hosts its own zoo with a table in the same format (a path or URL of an ``index.yaml``)
named by ``$ZOO_INDEX`` or the ``extra_index`` argument; its rows come after the shipped ones,
and its relative locations are folders beside that ``index.yaml`` (on the same server).

Remote checkpoints are fetched by :mod:`zoo.hub.download` into ``$ZOO_HOME/checkpoints``
(default ``~/.cache/zoo/checkpoints``) and checked against the table's sha256 before use.
Torch-free: ``zoo list`` reads the tables quickly.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from zoo.errors import ZooError
from zoo.hub.download import HUB, TIMEOUT, URLS, fetch_folder, fetch_hub
from zoo.hub.files import METRICS, WEIGHTS, sha256_of

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
INDEX = "index.yaml"


@dataclass(frozen=True)
class Entry:
    """One row of a table; ``table`` is the index.yaml it was read from ("" for the shipped one)."""

    name: str
    location: str
    sha256: str
    task: str
    metrics: dict = field(default_factory=dict)
    description: str = ""
    table: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name) or ".." in self.name:
            raise ZooError(f"checkpoint table: bad name {self.name!r} (letters, digits, '.', '_', '-')")
        if "://" in self.location:
            if not self.location.startswith((HUB, *URLS)):
                raise ZooError(
                    f"checkpoint table: location {self.location!r} must be an http(s)://, file:// or hf:// URL"
                )
        elif not (NAME.fullmatch(self.location) and ".." not in self.location):
            raise ZooError(f"checkpoint table: location {self.location!r} must be a folder beside index.yaml or a URL")

    def row(self) -> dict:
        """The entry as written in index.yaml."""
        return {key: value for key, value in vars(self).items() if key != "table"}


def headline_metric(task: str) -> str:
    """The metric a checkpoint of ``task`` is shipped and re-measured by: ``test/acc`` for a
    classifier, ``test/bleu`` for a translator, ``test/loss`` for a masked autoencoder,
    ``test/t2v_r10`` (text -> video recall at 10) for a video + audio + text model,
    ``test/analogy_acc`` for word vectors, ``test/inception_score`` for a GAN, ``test/ppl`` for a
    language model."""
    kinds = {
        "classification": "test/acc",
        "translation": "test/bleu",
        "masked-autoencoder": "test/loss",
        "contrastive": "test/t2v_r10",
        "word-embedding": "test/analogy_acc",
        "gan": "test/inception_score",
    }
    return next((metric for kind, metric in kinds.items() if task.endswith(kind)), "test/ppl")


def shipped_dir() -> Path:
    """The folder holding ``index.yaml`` and the shipped checkpoints."""
    return Path(str(resources.files("zoo.checkpoints")))


def list_models(extra_index: Sequence[str] | None = None) -> list[Entry]:
    """Every named checkpoint: the shipped table's rows, then each extra table's, in order.

    Args:
        extra_index: paths or URLs of index.yaml files in the shipped table's format; when
            None, those in ``$ZOO_INDEX`` (separated by commas, or by os.pathsep between paths).

    A name in two tables is an error naming both: which one ``zoo.load(name)`` meant is unclear.
    """
    entries: dict[str, Entry] = {}
    for table in [str(shipped_dir() / INDEX), *extra_tables(extra_index)]:
        for entry in read_index(table):
            if entry.name in entries:
                raise ZooError(
                    f"checkpoint name {entry.name!r} is in both {entries[entry.name].table} and {table}; "
                    "rename it in one of them"
                )
            entries[entry.name] = entry
    return list(entries.values())


def extra_tables(extra_index: Sequence[str] | None = None) -> list[str]:
    """``extra_index``, or the tables ``$ZOO_INDEX`` names (a URL may hold ':', so only commas split it)."""
    if extra_index is not None:
        return list(extra_index)
    parts = [part.strip() for part in os.environ.get("ZOO_INDEX", "").split(",")]
    return [piece for part in parts for piece in ([part] if "://" in part else part.split(os.pathsep)) if piece]


def read_index(table: str) -> list[Entry]:
    """The rows of one index.yaml, a path or an http(s)/file URL; each problem is one ZooError naming it."""
    try:
        rows = yaml.safe_load(_read_text(table)) or []
    except yaml.YAMLError as err:
        raise ZooError(f"checkpoint table {table} is not valid YAML: {str(err).splitlines()[0]}") from None
    if not isinstance(rows, list):
        raise ZooError(f"checkpoint table {table} must be a list of rows (name, location, sha256, task, metrics)")
    return [_entry(row, table) for row in rows]


def _read_text(table: str) -> str:
    try:
        if "://" in table:
            with urllib.request.urlopen(table, timeout=TIMEOUT) as response:
                return response.read().decode()
        return Path(table).read_text()
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as err:
        raise ZooError(f"cannot read checkpoint table {table} ({err}); check ZOO_INDEX or extra_index") from None


def _entry(row: object, table: str) -> Entry:
    allowed = {"name", "location", "sha256", "task", "metrics", "description"}
    if not isinstance(row, dict) or not {"name", "location", "sha256", "task"} <= set(row) <= allowed:
        keys = sorted(row) if isinstance(row, dict) else type(row).__name__
        raise ZooError(
            f"checkpoint table {table}: a row has {keys}; each needs name, location, sha256, task "
            "(and may have metrics, description)"
        )
    return Entry(**row, table=table)


def resolve(name_or_path: str | Path, extra_index: Sequence[str] | None = None) -> tuple[Path, str | None]:
    """A local directory, a table name, a folder URL or ``hf://owner/repo[@revision]``
    -> (local directory, expected sha256 of its weights, or None when no table gives one).

    A directory that exists wins over a name; a name is looked up in the shipped table and
    the extra ones (``extra_index``, else ``$ZOO_INDEX``) and fetched (and cached) if remote.
    A folder URL given directly (``https://host/zoo/my-model/``, ``file://...``) is downloaded
    into the cache once, keyed by the URL, and reused from there; no table gives its sha256,
    so there is nothing to check it against (use a table row to have it checked).
    """
    path = Path(name_or_path)
    if path.is_dir():
        return path, None
    text = str(name_or_path)
    if text.startswith(HUB):
        return fetch_hub(text), None
    if text.startswith(URLS):
        return fetch_folder(text), None
    entries = list_models(extra_index)
    entry = next((e for e in entries if e.name == text), None)
    if entry is None:
        names = ", ".join(e.name for e in entries) or "none"
        raise ZooError(
            f"{text!r} is neither a checkpoint directory nor a named checkpoint (names: {names}); see zoo list"
        )
    location = where(entry)
    if location.startswith(HUB):
        return fetch_hub(location, entry.sha256), entry.sha256
    if location.startswith(URLS):
        return fetch_folder(location, entry.sha256, entry.name), entry.sha256
    return Path(location), entry.sha256


def where(entry: Entry) -> str:
    """The entry's location, a relative one joined to the folder (or URL) of its table."""
    if "://" in entry.location:
        return entry.location
    table = entry.table or str(shipped_dir() / INDEX)
    if "://" in table:
        return urllib.parse.urljoin(table, entry.location)
    return str(Path(table).parent / entry.location)


def add_to_index(
    name: str, directory: Path, task: str, extra_metrics: dict | None = None, description: str = ""
) -> Entry:
    """Add (or replace) the shipped table's row for a checkpoint folder beside its ``index.yaml``.

    The row's metrics are the folder's measured ``test/*`` metrics plus ``extra_metrics``
    (e.g. the embedded test subset's accuracy, which CI re-measures).
    """
    directory = Path(directory)
    measured = json.loads((directory / METRICS).read_text())
    metrics = {k: v for k, v in measured.items() if k.startswith("test/")} | {"precision": measured.get("precision")}
    entry = Entry(
        name, directory.name, sha256_of(directory / WEIGHTS), task, metrics | (extra_metrics or {}), description
    )
    index = shipped_dir() / INDEX
    rows = [e.row() for e in read_index(str(index)) if e.name != name] + [entry.row()]
    index.write_text(yaml.safe_dump(rows, sort_keys=False))
    return entry
