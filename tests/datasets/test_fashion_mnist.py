"""Fashion-MNIST: the embedded subset, the fixed validation split, and preparing the full set."""

import numpy as np
import pytest
import torch

from tests.data.test_idx import _write_idx
from zoo.datasets.fashion_mnist import DEBIAN_DIR, FILES, FashionMNISTDataModule, load_arrays, prepare
from zoo.errors import ZooError


def test_embedded_subset_is_balanced_real_data():
    arrays = load_arrays("embedded")
    assert arrays["train_images"].shape == (10_000, 28, 28) and arrays["test_images"].shape == (2_000, 28, 28)
    assert np.bincount(arrays["train_labels"]).tolist() == [1000] * 10
    assert np.bincount(arrays["test_labels"]).tolist() == [200] * 10
    assert abs(arrays["train_images"].mean() / 255 - 0.286) < 0.01  # Fashion-MNIST's known pixel mean


def test_validation_split_is_fixed_and_disjoint_from_training():
    first, second = FashionMNISTDataModule(augment=False), FashionMNISTDataModule(augment=False)
    torch.manual_seed(1)
    first.setup()
    torch.manual_seed(2)  # the global seed must not move the split
    second.setup()
    assert len(first.train_set) == 9000 and len(first.val_set) == 1000 and len(first.test_set) == 2000
    torch.testing.assert_close(first.val_set.images, second.val_set.images)
    train = {bytes(img.numpy()) for img in first.train_set.images}
    assert not any(bytes(img.numpy()) in train for img in first.val_set.images[:200])


def test_batches_are_normalised_images():
    data = FashionMNISTDataModule(batch_size=32)
    data.setup()
    batch = next(iter(data.train_dataloader()))
    assert list(batch) == ["image", "label"]
    x, y = batch["image"], batch["label"]
    assert x.shape == (32, 1, 28, 28) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert abs(x.mean()) < 0.2 and 0.8 < x.std() < 1.2  # normalised; raw pixels have mean 0.29, std 0.35


def _fake_source(tmp_path):
    source = tmp_path / "idx"
    source.mkdir()
    images, labels = np.random.default_rng(0).integers(0, 255, (6, 28, 28)), np.arange(6) % 10
    for key, name in FILES.items():
        _write_idx(source / name, images if key.endswith("images") else labels)
    return source, labels


def test_prepare_builds_the_full_cache_from_idx_files(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA", str(tmp_path / "cache"))
    source, labels = _fake_source(tmp_path)
    path = prepare(source, check=False)
    assert path == tmp_path / "cache" / "fashion-mnist" / "fashion_mnist.npz"
    np.testing.assert_array_equal(load_arrays("full")["test_labels"], labels)


def test_prepare_refuses_files_that_are_not_the_official_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA", str(tmp_path / "cache"))
    source, _ = _fake_source(tmp_path)
    with pytest.raises(ZooError, match="is not the official Fashion-MNIST file"):
        prepare(source)
    assert not (tmp_path / "cache").exists()


@pytest.mark.skipif(not DEBIAN_DIR.exists(), reason="Debian package dataset-fashion-mnist not installed")
def test_prepare_from_the_debian_package(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA", str(tmp_path))
    prepare()
    arrays = load_arrays("full")
    assert (
        arrays["train_images"].shape == (60_000, 28, 28) and np.bincount(arrays["test_labels"]).tolist() == [1000] * 10
    )


def test_corrupt_cache_is_named_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA", str(tmp_path))
    broken = tmp_path / "fashion-mnist" / "fashion_mnist.npz"
    broken.parent.mkdir()
    broken.write_bytes(b"PK\x03\x04 half a zip")
    with pytest.raises(ZooError, match=r"fashion_mnist.npz is unreadable .*zoo data prepare fashion-mnist"):
        load_arrays("full")


def test_prepare_names_missing_source_files(tmp_path):
    with pytest.raises(ZooError, match="lacks train-images-idx3-ubyte.gz"):
        prepare(tmp_path)


def test_unknown_variant_is_refused():
    with pytest.raises(ZooError, match="'embedded' or 'full'"):
        FashionMNISTDataModule(variant="small")
