"""Fetching a checkpoint folder into a local cache: from an http(s) or file URL, or from the Hugging Face Hub.

Every file of the zoo checkpoint format is fetched (weights, config, metrics, card and, for
text models, the tokenizer); the optional ones may be absent. Weights a table names by sha256
are checked before they are used or cached. Torch-free, like the table.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from zoo.errors import ZooError
from zoo.hub.files import EXTRA_FILES, FILES, REQUIRED, WEIGHTS, sha256_of

if TYPE_CHECKING:
    from rich.progress import Progress

HUB = "hf://"
URLS = ("http://", "https://", "file://")  # a checkpoint folder at one of these is downloaded
TIMEOUT = 60  # seconds without data before a download gives up
SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # a URL's last segment usable as a cache folder name


def cache_home() -> Path:
    """``$ZOO_HOME/checkpoints``, default ``~/.cache/zoo/checkpoints``."""
    return Path(os.environ.get("ZOO_HOME") or Path.home() / ".cache" / "zoo") / "checkpoints"


def fetch_folder(url: str, sha256: str | None = None, name: str | None = None) -> Path:
    """Download the checkpoint folder at an http(s) or file URL once; reuse the cached copy.

    A table row (``name``, ``sha256``) is cached as ``name-<sha256>``, reused only while its
    weights have that digest; a URL given directly is cached under a digest of the URL and
    reused as it is (delete the folder to download it again).
    """
    if sha256 is None:
        tail = urllib.parse.urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
        key = f"{tail if SAFE.fullmatch(tail) else 'url'}-{hashlib.sha256(url.encode()).hexdigest()[:12]}"
    else:
        key = f"{name}-{sha256[:12]}"
    target = cache_home() / key
    if (target / WEIGHTS).is_file() and (sha256 is None or sha256_of(target / WEIGHTS) == sha256):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        _download_folder(url, tmp)
        _check_sha256(tmp / WEIGHTS, sha256, name or url)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return target


def _download_folder(url: str, folder: Path) -> None:
    """Every file of the zoo checkpoint format at ``url`` into ``folder``, with a progress bar on stderr.

    ``model.safetensors`` and ``config.yaml`` must be there; the others (metrics, card,
    tokenizer) may be absent, so a 404 for one of them is fine. Any other failure is a ZooError.
    """
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    base = url.rstrip("/") + "/"
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=Console(stderr=True)) as progress:
        for file in (*FILES, *EXTRA_FILES):
            if not _download(base + file, folder / file, progress) and file in REQUIRED:
                raise ZooError(f"cannot download {base + file} (not found); is {url} a zoo checkpoint folder?")


def _download(url: str, path: Path, progress: Progress) -> bool:
    """Download ``url`` to ``path``; False if the server has no such file (404, or no such file://)."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response, open(path, "wb") as f:
            size = int(response.headers.get("Content-Length") or 0) or None
            task = progress.add_task(f"{path.name} ({urllib.parse.urlsplit(url).netloc or 'file'})", total=size)
            for chunk in iter(lambda: response.read(1 << 16), b""):
                f.write(chunk)
                progress.advance(task, len(chunk))
    except urllib.error.HTTPError as err:
        err.close()
        if err.code == 404:
            return False
        raise ZooError(f"cannot download {url} ({err}); check the URL, or load a local checkpoint directory") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as err:
        if isinstance(getattr(err, "reason", None), FileNotFoundError):
            return False  # file:// reports a missing file as URLError(FileNotFoundError)
        raise ZooError(
            f"cannot download {url} ({err}); check the connection, or load a local checkpoint directory"
        ) from None
    return True


def fetch_hub(location: str, sha256: str | None = None) -> Path:
    """``hf://owner/repo[@revision]`` -> its snapshot in the Hugging Face cache, checked against ``sha256``.

    A pinned revision, or a cached snapshot whose weights have the table's sha256, is taken
    from the cache without asking the Hub (nothing downloads, so no progress bar); otherwise
    ``snapshot_download`` fetches it, with its own progress bars on stderr.
    """
    repo_id, _, revision = location.removeprefix(HUB).partition("@")
    revision = revision or None
    folder = _hub_snapshot(repo_id, revision, cached_only=True) if revision or sha256 else None
    if folder is None or (sha256 is not None and _sha256_or_none(folder / WEIGHTS) != sha256):
        folder = _hub_snapshot(repo_id, revision, cached_only=False)
    _check_sha256(folder / WEIGHTS, sha256, location)
    return folder


def _hub_snapshot(repo_id: str, revision: str | None, cached_only: bool) -> Path | None:
    """The checkpoint files of a Hub repo at ``revision``; with ``cached_only``, None if not cached."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    spec = f"{HUB}{repo_id}" + (f"@{revision}" if revision else "")
    try:
        folder = snapshot_download(
            repo_id, revision=revision, allow_patterns=[*FILES, *EXTRA_FILES], local_files_only=cached_only
        )
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError, ValueError) as err:  # ValueError: a bad repo id
        if cached_only:
            return None
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ZooError(f"cannot fetch {spec} from the Hugging Face Hub ({first}); are you offline?") from None
    return Path(folder)


def _sha256_or_none(path: Path) -> str | None:
    return sha256_of(path) if path.is_file() else None


def _check_sha256(path: Path, expected: str | None, what: str) -> None:
    """Refuse downloaded weights whose digest is not the table's (no check without one)."""
    if expected is not None and (actual := _sha256_or_none(path)) != expected:
        found = f"sha256 {actual[:12]}..." if actual else f"no {WEIGHTS}"
        raise ZooError(
            f"downloaded {what} has {found}, expected {expected[:12]}...; refused: "
            "the server's copy is not the one the table names"
        )
