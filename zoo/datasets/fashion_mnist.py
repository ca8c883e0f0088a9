"""Fashion-MNIST: 28x28 grey images of 10 kinds of clothing (Xiao et al. 2017, MIT licence).

https://github.com/zalandoresearch/fashion-mnist

Two variants:
- ``embedded``: 10,000 train / 2,000 test images (1,000 / 200 per class, drawn with a fixed
  seed from the official sets) shipped inside the package, so everything runs offline.
- ``full``: the official 60,000 / 10,000, prepared once by ``zoo data prepare fashion-mnist``
  from the Debian package ``dataset-fashion-mnist`` or, when online, the official download.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
import zipfile
from importlib import resources
from pathlib import Path
from typing import Literal

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from zoo.data.arrays import ImageArrayDataset, array_loader
from zoo.data.cache import data_home, write_atomically
from zoo.data.idx import parse_idx, read_idx, read_idx_bytes
from zoo.data.preprocessing.image import ImagePreprocessing
from zoo.data.transforms import image_eval_transform, image_train_transform
from zoo.errors import ZooError

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
MEAN, STD = (0.2860,), (0.3530,)  # of the 60,000 training images, pixels scaled to [0, 1]
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
# sha256 of each file's decompressed bytes: copies that were gzipped anew (Debian's) still match.
SHA256 = {
    "train_images": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train_labels": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "test_images": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "test_labels": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
EMBEDDED = "fashion_mnist_10k.npz"


def full_path() -> Path:
    return data_home() / "fashion-mnist" / "fashion_mnist.npz"


def prepare(source: Path | None = None, check: bool = True) -> Path:
    """Build the full-data cache from IDX files in ``source``, the Debian package, or the web.

    With ``check``, each file's content must match the official sha256.
    """
    if source is None:
        source = DEBIAN_DIR if all((DEBIAN_DIR / f).exists() for f in FILES.values()) else None
    if source is None:
        source = _download(data_home() / "fashion-mnist" / "raw")
    missing = [f for f in FILES.values() if not (Path(source) / f).exists()]
    if missing:
        raise ZooError(f"{source} lacks {', '.join(missing)}; point --source at the Fashion-MNIST IDX files")
    arrays = {}
    for key, name in FILES.items():
        path = Path(source) / name
        data = read_idx_bytes(path)  # decompressed once: hashed, then parsed
        if check and hashlib.sha256(data).hexdigest() != SHA256[key]:
            raise ZooError(
                f"{path} is not the official Fashion-MNIST file (sha256 differs); delete it and prepare again"
            )
        arrays[key] = parse_idx(data, path)
    out = full_path()
    write_atomically(out, lambda f: np.savez(f, **arrays))
    return out


def _download(raw_dir: Path) -> Path:
    for name in FILES.values():
        if (raw_dir / name).exists():
            continue
        try:
            with urllib.request.urlopen(URL + name, timeout=30) as response:
                data = response.read()
        except (urllib.error.URLError, TimeoutError) as err:
            raise ZooError(
                f"Fashion-MNIST is not installed and could not be downloaded ({err}); install the Debian "
                "package dataset-fashion-mnist, or go online, then run: zoo data prepare fashion-mnist"
            ) from None
        write_atomically(raw_dir / name, lambda f, data=data: f.write(data))
    return raw_dir


def make_embedded_subset(source: Path, out: Path, per_class_train: int = 1000, per_class_test: int = 200) -> None:
    """Write the stratified subset that ships in the package (run once by a maintainer)."""
    rng = np.random.default_rng(0)

    def pick(labels: np.ndarray, per_class: int) -> np.ndarray:
        idx = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in range(len(CLASSES))]
        return np.sort(np.concatenate(idx))

    arrays = {key: read_idx(source / name) for key, name in FILES.items()}
    train, test = pick(arrays["train_labels"], per_class_train), pick(arrays["test_labels"], per_class_test)
    subset = {
        "train_images": arrays["train_images"][train],
        "train_labels": arrays["train_labels"][train],
        "test_images": arrays["test_images"][test],
        "test_labels": arrays["test_labels"][test],
    }
    write_atomically(out, lambda f: np.savez_compressed(f, **subset))


def require_full() -> Path:
    """The prepared full-data file, or a ZooError naming the command that prepares it."""
    path = full_path()
    if not path.exists():
        raise ZooError(f"full Fashion-MNIST is not prepared at {path}; run: zoo data prepare fashion-mnist")
    return path


def load_arrays(variant: Literal["embedded", "full"]) -> dict[str, np.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N,) for train and test."""
    if variant == "embedded":
        with resources.as_file(resources.files("zoo.datasets") / "embedded" / EMBEDDED) as path:
            return _read_npz(path)
    return _read_npz(require_full())


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in FILES}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
        raise ZooError(f"{path} is unreadable ({err}); run again: zoo data prepare fashion-mnist") from None


class FashionMNISTDataModule(L.LightningDataModule):
    """Fashion-MNIST with a fixed validation split carved from train; test is held out.

    Args:
        variant: "embedded" (10k/2k, ships in the package) or "full" (60k/10k, prepared).
        val_size: training images set aside for validation (the same ones every run).
        batch_size: images per batch on each device.
        num_workers: DataLoader worker processes.
        augment: random shifted crops and horizontal flips for training.
    """

    classes = CLASSES
    img_size, in_chans, mean, std = 28, 1, MEAN, STD
    preprocessing = ImagePreprocessing(size=28, channels=1, mean=MEAN, std=STD)

    def __init__(
        self,
        variant: Literal["embedded", "full"] = "embedded",
        val_size: int = 1000,
        batch_size: int = 128,
        num_workers: int = 0,
        augment: bool = True,
    ) -> None:
        super().__init__()
        if variant not in ("embedded", "full"):
            raise ZooError(f"variant must be 'embedded' or 'full', got {variant!r}")
        self.variant, self.val_size, self.batch_size = variant, val_size, batch_size
        self.num_workers, self.augment = num_workers, augment

    @property
    def description(self) -> str:
        """One line on the data, for checkpoint cards."""
        sizes = {"embedded": "10,000 train / 2,000 test subset", "full": "official 60,000 train / 10,000 test"}
        return (
            f"Fashion-MNIST ({sizes[self.variant]}; {self.val_size:,} train images held out for validation; "
            "metrics on the test images)"
        )

    def prepare_data(self) -> None:
        if self.variant == "full":
            require_full()  # fails early, on one process, with the command that fixes it

    def setup(self, stage: str | None = None) -> None:
        arrays = load_arrays(self.variant)
        images = torch.from_numpy(arrays["train_images"].copy()).unsqueeze(1)  # (N, 1, 28, 28)
        labels = torch.from_numpy(arrays["train_labels"].astype(np.int64))
        if not 0 < self.val_size < len(labels):
            raise ZooError(f"val_size must be between 1 and {len(labels) - 1}, got {self.val_size}")
        order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))
        val, train = order[: self.val_size], order[self.val_size :]
        eval_tf = image_eval_transform(self.mean, self.std)
        train_tf = image_train_transform(self.mean, self.std, self.img_size) if self.augment else eval_tf
        self.train_set = ImageArrayDataset(images[train], labels[train], train_tf)
        self.val_set = ImageArrayDataset(images[val], labels[val], eval_tf)
        test_images = torch.from_numpy(arrays["test_images"].copy()).unsqueeze(1)
        self.test_set = ImageArrayDataset(
            test_images, torch.from_numpy(arrays["test_labels"].astype(np.int64)), eval_tf
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_set, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.val_set)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.test_set)

    def predict_dataloader(self) -> DataLoader:
        return self._loader(self.test_set)

    def _loader(self, dataset: Dataset, shuffle: bool = False) -> DataLoader:
        return array_loader(dataset, self.batch_size, self.num_workers, shuffle)


def held_out(task: str, preprocessing: ImagePreprocessing, variant: str) -> FashionMNISTDataModule:
    """The test images: the embedded 2,000, or the official 10,000 the cards were measured on."""
    return FashionMNISTDataModule(variant=variant)
