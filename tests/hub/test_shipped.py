"""The shipped checkpoints: intact, loadable, and they reproduce the accuracy in their table row."""

import pytest

import zoo
from zoo.data.fashion_mnist import FashionMNISTDataModule, full_path
from zoo.hub.checkpoint import read_checkpoint, sha256_of
from zoo.hub.evaluate import evaluate
from zoo.hub.registry import list_models, shipped_dir

ENTRIES = list_models()
NAMES = [entry.name for entry in ENTRIES]


def test_the_zoo_ships_its_fashion_mnist_pair():
    assert {"vit-tiny-fashion-mnist", "resnet-fashion-mnist"} <= set(NAMES)


@pytest.mark.parametrize("entry", ENTRIES, ids=NAMES)
def test_shipped_checkpoint_is_intact_and_small(entry):
    folder = shipped_dir() / entry.location
    assert sha256_of(folder / "model.safetensors") == entry.sha256
    assert (folder / "model.safetensors").stat().st_size <= 10 * 2**20
    files = read_checkpoint(folder)
    assert files.metrics["test/acc"] == entry.metrics["test/acc"]  # the table quotes the card
    assert f"{entry.metrics['test/acc']:.4f}" in files.card


@pytest.mark.parametrize("entry", ENTRIES, ids=NAMES)
def test_reproduces_its_accuracy_on_the_embedded_test_images(entry):
    """The 2,000 embedded test images are a subset of the official test set."""
    model = zoo.load(entry.name)
    measured = evaluate(model, FashionMNISTDataModule(variant="embedded"), entry.metrics["precision"])
    assert measured["test/acc"] == pytest.approx(entry.metrics["embedded_test/acc"], abs=0.001)


@pytest.mark.slow
@pytest.mark.skipif(
    not full_path().is_file(), reason="full Fashion-MNIST not prepared (zoo data prepare fashion-mnist)"
)
@pytest.mark.parametrize("entry", ENTRIES, ids=NAMES)
def test_reproduces_its_card_accuracy_on_the_full_test_set(entry):
    model = zoo.load(entry.name)
    measured = evaluate(model, FashionMNISTDataModule(variant="full", val_size=5000), entry.metrics["precision"])
    assert measured["test/acc"] == pytest.approx(entry.metrics["test/acc"], abs=0.001)
