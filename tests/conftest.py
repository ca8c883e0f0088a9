"""Shared helpers: the quick recipe, shrunk to a micro model so a test trains in seconds."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
QUICK = ROOT / "recipes" / "vision" / "vit_tiny_fashion_mnist_quick.yaml"
QUICK_BATCH = yaml.safe_load(QUICK.read_text())["data"]["init_args"]["batch_size"]

_MODEL = "--model.init_args.model.init_args"
# D=64, depth 2 (the recipe: D=192, depth 6): ~15x cheaper, same code path.
MICRO_VIT = [
    f"{_MODEL}.frontend.init_args.embed_dim=64",
    f"{_MODEL}.frontend.init_args.patch_size=7",
    f"{_MODEL}.backbone.init_args.embed_dim=64",
    f"{_MODEL}.backbone.init_args.depth=2",
    f"{_MODEL}.backbone.init_args.num_heads=2",
    f"{_MODEL}.head.init_args.embed_dim=64",
    "--trainer.precision=32-true",
]


def run_zoo(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the installed ``zoo`` console command as a user would."""
    zoo = shutil.which("zoo")
    assert zoo, "the zoo command is not on PATH; install the project: pip install -e ."
    return subprocess.run([zoo, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    """Run in an empty directory, with an empty dataset cache."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZOO_DATA", str(tmp_path / "data"))
    return tmp_path
