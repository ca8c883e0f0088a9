"""A folder of labelled images as a LightningDataModule, for fine-tuning on a user's own data.

Layouts (file names end in .png, .jpg, .jpeg, .bmp, .gif, .webp or .tif):

    DIR/<label>/*.png                                  a validation split is carved out
    DIR/train/<label>/*.png  DIR/val/<label>/*.png     given splits (DIR/test/ optional)

Every image is decoded once in ``setup`` through the checkpoint's preprocessing (any size,
grey or colour, becomes the model's size and channels) and kept as uint8, so a corrupt file
is reported by path before training starts.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import torch

from zoo.data.arrays import ImageArrayDataset, SplitsDataModule
from zoo.data.preprocessing.image import IMAGE_SUFFIXES, ImagePreprocessing
from zoo.data.splits import stratified_split
from zoo.data.transforms import image_train_transform
from zoo.errors import ZooError

Split = list[tuple[Path, str]]  # (file, label)
AUGMENT = {  # name -> (shifted crops, horizontal flips)
    "flip": (True, True),  # photos, garments, faces: a mirror image is the same thing
    "shift": (True, False),  # digits, letters, anything a mirror changes
    "none": (False, False),
}
DEFAULT_AUGMENT = "shift"  # never changes a label; flips cost digits up to 12.8 points (docs/results.md)


def scan_split(root: Path, suffixes: Sequence[str] = IMAGE_SUFFIXES, what: str = "images") -> Split:
    """``root/<label>/*.<suffix>`` -> sorted (file, label) pairs; an empty label folder is an error."""
    pairs = []
    for label_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = [f for f in sorted(label_dir.rglob("*")) if f.is_file() and f.suffix.lower() in suffixes]
        if not files:
            raise ZooError(f"{label_dir} holds no {what} ({', '.join(suffixes)}); fill it or remove it")
        pairs += [(file, label_dir.name) for file in files]
    return pairs


def scan_folder(root: Path, suffixes: Sequence[str] = IMAGE_SUFFIXES, what: str = "images") -> dict[str, Split]:
    """The splits found in ``root``: {"train": ..., optionally "val", "test"}; checked.

    ``suffixes`` are the file endings read (images by default), ``what`` names them in errors.
    """
    root, example = Path(root), f"<label>/*{suffixes[0]}"
    if root.is_file():
        raise ZooError(f"--data {root} is a file; give a folder of {root.name}/{example}")
    if not root.is_dir():
        raise ZooError(f"--data {root}: no such folder; expected {root}/{example} or {root}/train/<label>/")
    if not os.access(root, os.R_OK | os.X_OK):
        raise ZooError(f"--data {root}: permission denied")
    layout = "split" if (root / "train").is_dir() else "flat"
    splits = {"train": scan_split(root / "train" if layout == "split" else root, suffixes, what)}
    for name in ("val", "test"):
        if layout == "split" and (root / name).is_dir():
            splits[name] = scan_split(root / name, suffixes, what)
    check_splits(splits, root, root / "train" if layout == "split" else root, suffixes, what)
    return splits


def check_splits(splits: dict[str, Split], root: Path, where: Path, suffixes: Sequence[str], what: str) -> None:
    """Train has two labels or more, and every other split only train's labels and some files."""
    labels = sorted({label for _, label in splits["train"]})
    if not labels:
        raise ZooError(f"{where} holds no {what}; put them in {where}/<label>/ folders ({', '.join(suffixes)})")
    if len(labels) == 1:
        raise ZooError(f"{where} has one label only ({labels[0]!r}); a classifier needs at least two label folders")
    for name, split in splits.items():
        unknown = sorted({label for _, label in split} - set(labels))
        if unknown:
            raise ZooError(f"{root / name} has labels that train does not: {', '.join(unknown)}")
        if not split:
            raise ZooError(f"{root / name} holds no {what}; fill it or remove it")


def with_validation(
    splits: dict[str, Split], classes: Sequence[str] | None, val_fraction: float, root: Path
) -> tuple[dict[str, Split], list[str]]:
    """Checked splits with a ``val`` split (``val_fraction`` of each label carved from train when
    missing; see :func:`~zoo.data.splits.stratified_split`) and the label order
    (``classes``, which must hold every label of train, and may hold more: a checkpoint's
    label set kept for data that has only some of them; default: train's labels sorted)."""
    if not 0 < val_fraction < 1:
        raise ZooError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    found = sorted({label for _, label in splits["train"]})
    if classes is not None and (missing := [label for label in found if label not in classes]):
        raise ZooError(f"label folders {missing} are not among the classes {list(classes)}")
    if "val" not in splits:
        train, val = stratified_split([label for _, label in splits["train"]], (val_fraction,))
        splits["train"], splits["val"] = [splits["train"][i] for i in train], [splits["train"][i] for i in val]
    if not splits["val"]:
        raise ZooError(f"{root}: too few files to hold any out for validation; add more per label")
    return splits, list(classes) if classes is not None else found


class ImageFolderDataModule(SplitsDataModule):
    """Labelled image folders, preprocessed like a checkpoint's training data.

    Args:
        root: the folder (see the module docstring for layouts).
        preprocessing: the checkpoint's (size, channels, normalisation).
        classes: label order (index i -> classes[i]); default: sorted folder names. Must
            hold exactly the folders' labels.
        val_fraction: share of each label held out for validation when no val/ is given.
        batch_size: images per batch on each device.
        num_workers: DataLoader worker processes.
        augment: training augmentation, one of ``AUGMENT``: "shift" (random shifted crops),
            "flip" (the crops and horizontal flips) or "none".
    """

    def __init__(
        self,
        root: str | Path,
        preprocessing: ImagePreprocessing,
        classes: Sequence[str] | None = None,
        val_fraction: float = 0.2,
        batch_size: int = 32,
        num_workers: int = 0,
        augment: str = DEFAULT_AUGMENT,
    ) -> None:
        super().__init__()
        if augment not in AUGMENT:
            raise ZooError(f"augment {augment!r} is not one of {', '.join(AUGMENT)}")
        self.root, self.preprocessing = Path(root), preprocessing
        self.splits, self.classes = with_validation(scan_folder(self.root), classes, val_fraction, self.root)
        self.val_fraction, self.batch_size = val_fraction, batch_size
        self.num_workers, self.augment = num_workers, augment
        self.datasets: dict[str, ImageArrayDataset] | None = None  # filled by setup()

    @property
    def description(self) -> str:
        counts = ", ".join(
            f"{len(self.splits[name])} {name}" for name in ("train", "val", "test") if name in self.splits
        )
        return f"image folder {self.root} ({len(self.classes)} labels; {counts} images)"

    def setup(self, stage: str | None = None) -> None:
        """Decode every image (once; later calls reuse them). A corrupt file is named."""
        if self.datasets is not None:
            return
        p = self.preprocessing
        eval_tf = p.normalize()
        shift, flip = AUGMENT[self.augment]
        train_tf = image_train_transform(p.mean, p.std, p.size, crop_padding=max(1, p.size // 14) if shift else 0, hflip=flip)
        self.datasets = {
            name: self._decode(split, train_tf if name == "train" else eval_tf) for name, split in self.splits.items()
        }

    def _decode(self, split: Split, transform) -> ImageArrayDataset:
        index = {label: i for i, label in enumerate(self.classes)}
        images = torch.stack([self.preprocessing.to_uint8(self.preprocessing.open(path)) for path, _ in split])
        labels = torch.tensor([index[label] for _, label in split])
        return ImageArrayDataset(images, labels, transform)
