"""The checkpoint's file names and digest: torch-free, so the table of checkpoints is too."""

import hashlib
import os
import subprocess
import sys

from tests.conftest import ROOT
from zoo.hub.files import sha256_of


def test_the_table_is_read_without_importing_torch_or_tokenizers():
    """``zoo list`` answers fast: the registry must not pull in torch (seconds to import)."""
    code = (
        "import sys, zoo.hub.registry as r; r.list_models(); "
        "assert not {'torch', 'tokenizers'} & set(sys.modules), sorted({'torch', 'tokenizers'} & set(sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_sha256_of_is_the_file_digest(tmp_path):
    data = os.urandom(3 << 20)  # more than one 1 MiB chunk
    (tmp_path / "w").write_bytes(data)
    assert sha256_of(tmp_path / "w") == hashlib.sha256(data).hexdigest()
