"""Image folders for fine-tuning: layouts, validation split, and each bad folder named."""

import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from tests.conftest import GROUPS, make_image_folder
from zoo.datasets.fashion_mnist import FashionMNISTDataModule
from zoo.data.image_folder import ImageFolderDataModule, scan_folder
from zoo.errors import ZooError

PRE = FashionMNISTDataModule.preprocessing


def test_flat_folder_gets_a_stratified_validation_split(tmp_path):
    data = ImageFolderDataModule(make_image_folder(tmp_path, per_label=10), PRE, val_fraction=0.2)
    assert data.classes == sorted(GROUPS)
    assert len(data.splits["train"]) == 24 and len(data.splits["val"]) == 6  # 2 of each label's 10
    assert {label for _, label in data.splits["val"]} == set(GROUPS)
    data.setup()
    example = data.datasets["val"][0]
    x, y = example["image"], example["label"]
    assert x.shape == (1, 28, 28) and x.dtype.is_floating_point and 0 <= y < 3


def test_given_splits_and_other_sizes_and_colour(tmp_path):
    make_image_folder(tmp_path / "train", per_label=6, split="train", size=64, rgb=True)
    make_image_folder(tmp_path / "val", per_label=2, size=20)
    data = ImageFolderDataModule(tmp_path, PRE)
    data.setup()
    assert len(data.datasets["train"]) == 18 and len(data.datasets["val"]) == 6
    assert data.datasets["train"].images.shape[1:] == (1, 28, 28)  # colour 64 px -> grey 28 px
    assert data.test_dataloader().dataset is data.datasets["val"]


def test_corrupt_image_is_reported_by_path(tmp_path):
    make_image_folder(tmp_path, per_label=3)
    bad = tmp_path / "bag" / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(ZooError, match=f"{bad}: not a readable image"):
        ImageFolderDataModule(tmp_path, PRE).setup()


def test_empty_folder_and_single_label_are_clear_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ZooError, match="holds no images; put them in .*/<label>/ folders"):
        scan_folder(tmp_path / "empty")
    (tmp_path / "empty" / "cats").mkdir()
    with pytest.raises(ZooError, match="empty/cats holds no images"):
        scan_folder(tmp_path / "empty")
    make_image_folder(tmp_path / "one", per_label=3)
    for label in ("top", "bag"):
        shutil.rmtree(tmp_path / "one" / label)
    with pytest.raises(ZooError, match="one label only \\('footwear'\\); a classifier needs at least two"):
        scan_folder(tmp_path / "one")
    with pytest.raises(ZooError, match="no such folder"):
        scan_folder(tmp_path / "missing")
    with pytest.raises(ZooError, match="is a file; give a folder"):
        scan_folder(next((tmp_path / "one" / "footwear").iterdir()))


def test_every_label_keeps_a_training_image(tmp_path):
    make_image_folder(tmp_path, per_label=2)
    data = ImageFolderDataModule(tmp_path, PRE, val_fraction=0.8)
    assert sorted(label for _, label in data.splits["train"]) == sorted(GROUPS)
    assert sorted(label for _, label in data.splits["val"]) == sorted(GROUPS)


def test_val_labels_must_be_train_labels(tmp_path):
    make_image_folder(tmp_path / "train", per_label=3)
    make_image_folder(tmp_path / "val", per_label=1)
    (tmp_path / "val" / "hat").mkdir()
    (tmp_path / "val" / "top").rename(tmp_path / "val" / "hat" / "x")
    with pytest.raises(ZooError, match="labels that train does not: hat"):
        scan_folder(tmp_path)


@pytest.mark.parametrize("augment, shifts, mirrors", [("flip", True, True), ("shift", True, False), ("none", False, False)])
def test_augment_shifts_and_mirrors_as_named(tmp_path, augment, shifts, mirrors):
    image = np.zeros((28, 28), np.uint8)
    image[4:24, 4:10] = 255  # a bar on the left: a mirror puts it on the right
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        for i in range(3):
            Image.fromarray(image).save(tmp_path / label / f"{i}.png")
    data = ImageFolderDataModule(tmp_path, PRE, val_fraction=0.34, augment=augment)
    data.setup()
    torch.manual_seed(0)
    train, val = data.datasets["train"], data.datasets["val"]
    draws = [train[0]["image"][0] for _ in range(40)]  # (28, 28) each
    still = val[0]["image"][0]
    left = [bool(d[:, :14].sum() > d[:, 14:].sum()) for d in draws]
    assert (not all(left)) == mirrors
    assert any(not torch.equal(d, still) for d in draws if d[:, :14].sum() > d[:, 14:].sum()) == shifts


def test_an_unknown_augment_is_one_line(tmp_path):
    with pytest.raises(ZooError, match="augment 'mirror' is not one of flip, shift, none"):
        ImageFolderDataModule(make_image_folder(tmp_path, per_label=3), PRE, augment="mirror")
