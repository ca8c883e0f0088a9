"""Shared helpers: the quick recipe, shrunk to a micro model so a test trains in seconds."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
QUICK = ROOT / "recipes" / "vision" / "vit_tiny_fashion_mnist_quick.yaml"
QUICK_BATCH = yaml.safe_load(QUICK.read_text())["data"]["init_args"]["batch_size"]

_MODEL = "--model.init_args.model.init_args"
# D=64, depth 2, 16 patches of 7 (the recipe: D=192, depth 6, 25 overlapping patches): far
# cheaper, same code path.
MICRO_VIT = [
    f"{_MODEL}.frontend.init_args.embed_dim=64",
    f"{_MODEL}.frontend.init_args.patch_size=7",
    f"{_MODEL}.frontend.init_args.stride=7",
    f"{_MODEL}.backbone.init_args.embed_dim=64",
    f"{_MODEL}.backbone.init_args.depth=2",
    f"{_MODEL}.backbone.init_args.num_heads=2",
    f"{_MODEL}.head.init_args.embed_dim=64",
    "--trainer.precision=32-true",
]


def run_zoo(args: list[str], cwd: Path, timeout: float = 300, with_tests: bool = False) -> subprocess.CompletedProcess:
    """Run the installed ``zoo`` console command as a user would.

    ``with_tests`` puts the repository on PYTHONPATH so a recipe can name ``tests.helpers``.
    """
    zoo = shutil.which("zoo")
    assert zoo, "the zoo command is not on PATH; install the project: pip install -e ."
    env = {**os.environ, "PYTHONPATH": str(ROOT)} if with_tests else None
    return subprocess.run([zoo, *args], check=False, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def error_line(argv: list[str], capsys) -> str:
    """The error line of ``zoo ARGV`` run in this process; asserts exit status 2."""
    from zoo.commands import main

    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("zoo: error: ")
    return last


def micro_vit_config(num_classes: int = 10) -> dict:
    """The quick recipe's model config at micro size (D=64, depth 2, 16 patches of 7)."""
    config = yaml.safe_load(QUICK.read_text())["model"]["init_args"]["model"]
    args = config["init_args"]
    args["frontend"]["init_args"].update(embed_dim=64, patch_size=7, stride=7)
    args["backbone"]["init_args"].update(embed_dim=64, depth=2, num_heads=2)
    args["head"]["init_args"].update(embed_dim=64, num_classes=num_classes)
    return config


@pytest.fixture
def micro_checkpoint(tmp_path) -> Path:
    """An untrained micro ViT exported as a zoo checkpoint for Fashion-MNIST's labels."""
    import torch

    from zoo.datasets.fashion_mnist import FashionMNISTDataModule
    from zoo.hub.build import build
    from zoo.hub.export import export_checkpoint

    torch.manual_seed(0)
    config = micro_vit_config()
    data = FashionMNISTDataModule()
    path = tmp_path / "micro"
    return export_checkpoint(
        path, build(config), config, data.classes, data.preprocessing, {}, data.description, "test"
    )


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    """Run in an empty directory, with an empty dataset cache."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZOO_DATA", str(tmp_path / "data"))
    return tmp_path


# Fashion-MNIST classes regrouped into a label set no shipped model has seen.
GROUPS = {"top": (0, 2, 4, 6), "footwear": (5, 7, 9), "bag": (8,)}


def make_image_folder(root: Path, per_label: int = 40, split: str = "test", size: int = 28, rgb: bool = False) -> Path:
    """``root/<label>/*.png`` from the embedded Fashion-MNIST images, labelled by ``GROUPS``.

    ``size`` and ``rgb`` re-render the images at another size or in colour, as a user's
    photos would differ from the training data.
    """
    import numpy as np
    from PIL import Image

    from zoo.datasets.fashion_mnist import load_arrays

    arrays = load_arrays("embedded")
    images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
    for group, classes in GROUPS.items():
        (root / group).mkdir(parents=True, exist_ok=True)
        picked = np.flatnonzero(np.isin(labels, classes))[:per_label]
        for i in picked:
            image = Image.fromarray(images[i]).resize((size, size))
            (image.convert("RGB") if rgb else image).save(root / group / f"{i}.png")
    return root
