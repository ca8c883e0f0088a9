"""The table of named checkpoints, and finding a checkpoint's directory from a name.

``checkpoints/index.yaml`` (installed as ``zoo.checkpoints``) lists each name with:

    name:     vit-tiny-fashion-mnist
    location: vit-tiny-fashion-mnist   # a folder beside index.yaml, an http(s)/file URL
                                       # of a folder, or hf://owner/repo on the Hugging Face Hub
    sha256:   digest of model.safetensors
    task:     image-classification
    metrics:  {test/acc: ..., ...}     # measured, as in the checkpoint's metrics.json

Downloads go to ``$ZOO_HOME/checkpoints`` (default ``~/.cache/zoo/checkpoints``) and are
checked against the sha256 before use.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from zoo.errors import ZooError
from zoo.hub.files import CARD, CONFIG, METRICS, WEIGHTS, sha256_of

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class Entry:
    """One row of the table."""

    name: str
    location: str
    sha256: str
    task: str
    metrics: dict = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name) or ".." in self.name:
            raise ZooError(f"checkpoint table: bad name {self.name!r} (letters, digits, '.', '_', '-')")
        if "://" not in self.location and not (NAME.fullmatch(self.location) and ".." not in self.location):
            raise ZooError(f"checkpoint table: location {self.location!r} must be a folder beside index.yaml or a URL")


def shipped_dir() -> Path:
    """The folder holding ``index.yaml`` and the shipped checkpoints."""
    return Path(str(resources.files("zoo.checkpoints")))


def list_models() -> list[Entry]:
    """Every named checkpoint, in table order."""
    rows = yaml.safe_load((shipped_dir() / "index.yaml").read_text()) or []
    return [Entry(**row) for row in rows]


def find(name: str) -> Entry | None:
    return next((entry for entry in list_models() if entry.name == name), None)


def cache_home() -> Path:
    return Path(os.environ.get("ZOO_HOME") or Path.home() / ".cache" / "zoo") / "checkpoints"


def resolve(name_or_path: str | Path) -> tuple[Path, str | None]:
    """A local directory, a table name or ``hf://owner/repo`` -> (local directory, expected sha256).

    A directory that exists wins over a name; a name is fetched (and cached) if remote.
    """
    path = Path(name_or_path)
    if path.is_dir():
        return path, None
    text = str(name_or_path)
    if text.startswith("hf://"):
        return _from_hub(text.removeprefix("hf://")), None
    entry = find(text)
    if entry is None:
        names = ", ".join(e.name for e in list_models()) or "none"
        raise ZooError(
            f"{text!r} is neither a checkpoint directory nor a named checkpoint (names: {names}); see zoo list"
        )
    if entry.location.startswith("hf://"):
        return _from_hub(entry.location.removeprefix("hf://")), entry.sha256
    if "://" in entry.location:
        return _from_url(entry), entry.sha256
    return shipped_dir() / entry.location, entry.sha256


def _from_url(entry: Entry) -> Path:
    """Download a checkpoint folder at an http(s) or file URL once; reuse the cached copy."""
    target = cache_home() / f"{entry.name}-{entry.sha256[:12]}"
    if (target / WEIGHTS).is_file() and sha256_of(target / WEIGHTS) == entry.sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        for name in (WEIGHTS, CONFIG, METRICS, CARD):
            url = entry.location.rstrip("/") + "/" + name
            try:
                with urllib.request.urlopen(url, timeout=60) as response, open(tmp / name, "wb") as f:
                    shutil.copyfileobj(response, f)
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as err:
                if name in (METRICS, CARD):
                    (tmp / name).unlink(missing_ok=True)  # optional: absent, never half there
                    continue
                raise ZooError(
                    f"cannot download {url} ({err}); check the connection, or load a local checkpoint directory"
                ) from None
        if (actual := sha256_of(tmp / WEIGHTS)) != entry.sha256:
            raise ZooError(
                f"downloaded {entry.name} has sha256 {actual[:12]}..., expected {entry.sha256[:12]}...; refused"
            )
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return target


def _from_hub(repo_id: str) -> Path:
    """Download (or reuse the Hugging Face cache of) a checkpoint repo on the Hub."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo_id, allow_patterns=[WEIGHTS, CONFIG, METRICS, CARD]))
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError, ValueError) as err:  # ValueError: a bad repo id
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ZooError(f"cannot fetch hf://{repo_id} from the Hugging Face Hub ({first}); are you offline?") from None


def add_to_index(
    name: str, directory: Path, task: str, extra_metrics: dict | None = None, description: str = ""
) -> Entry:
    """Add (or replace) the table row for a checkpoint folder beside ``index.yaml``.

    The row's metrics are the folder's measured ``test/*`` metrics plus ``extra_metrics``
    (e.g. the embedded test subset's accuracy, which CI re-measures).
    """
    directory = Path(directory)
    measured = json.loads((directory / METRICS).read_text())
    metrics = {k: v for k, v in measured.items() if k.startswith("test/")} | {"precision": measured.get("precision")}
    entry = Entry(
        name, directory.name, sha256_of(directory / WEIGHTS), task, metrics | (extra_metrics or {}), description
    )
    rows = [vars(e) for e in list_models() if e.name != name] + [vars(entry)]
    index = shipped_dir() / "index.yaml"
    index.write_text(yaml.safe_dump(rows, sort_keys=False))
    return entry
