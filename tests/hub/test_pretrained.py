"""Loading sizes the classifier by the labels (format 2), reads format-1 configs the same way,
and gives a fresh classifier of ``num_classes`` outputs on request."""

import shutil

import pytest
import torch
import yaml
from safetensors.torch import load_file, save_file

import zoo
from zoo.errors import ZooError
from zoo.hub.checkpoint import FORMAT, read_checkpoint
from zoo.hub.registry import shipped_dir

IMAGES = torch.randn(3, 1, 28, 28, generator=torch.Generator().manual_seed(0))
SHIPPED = {"vit-tiny-fashion-mnist": "head.fc.", "resnet-fashion-mnist": "fc."}  # their classifiers' keys


def copy_shipped(name: str, tmp_path) -> tuple:
    """A copy of shipped checkpoint ``name`` and its parsed config."""
    path = shutil.copytree(shipped_dir() / name, tmp_path / name)
    return path, yaml.safe_load((path / "config.yaml").read_text())


def write_config(path, config: dict) -> None:
    (path / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_config_loads_the_same_with_and_without_the_format_field(name, tmp_path):
    path, config = copy_shipped(name, tmp_path)
    assert "format" not in config  # shipped before the field: format 1
    expected = zoo.load(name)(IMAGES)
    torch.testing.assert_close(zoo.load(path)(IMAGES), expected, rtol=0, atol=0)
    write_config(path, {"format": FORMAT, **config})
    loaded = zoo.load(path)
    torch.testing.assert_close(loaded(IMAGES), expected, rtol=0, atol=0)
    assert loaded.report.reinitialised == [] and loaded.labels == config["labels"]


def test_a_format_newer_than_this_zoo_is_refused(tmp_path):
    path, config = copy_shipped("vit-tiny-fashion-mnist", tmp_path)
    write_config(path, {"format": FORMAT + 1, **config})
    with pytest.raises(ZooError, match=rf"config.yaml has format {FORMAT + 1}; this zoo reads formats 1 to {FORMAT}"):
        read_checkpoint(path)


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("format_field", [{}, {"format": FORMAT}])
def test_labels_size_the_classifier_of_a_base_models_config(name, format_field, tmp_path):
    """A fine-tuned checkpoint keeps its base model's section and lists its own labels."""
    path, config = copy_shipped(name, tmp_path)
    prefix = SHIPPED[name]
    state = load_file(path / "model.safetensors")
    for key in (f"{prefix}weight", f"{prefix}bias"):
        state[key] = state[key][:3].clone()  # the classifier of the first three classes alone
    save_file(state, path / "model.safetensors")
    write_config(path, {**format_field, **config, "labels": config["labels"][:3]})
    loaded = zoo.load(path)
    assert loaded.model.num_classes == 3 and loaded.labels == config["labels"][:3]
    torch.testing.assert_close(loaded(IMAGES), zoo.load(name)(IMAGES)[:, :3])  # a 3-wide matmul rounds apart


@pytest.mark.parametrize("name", SHIPPED)
def test_num_classes_gives_a_fresh_classifier_and_loads_the_rest(name):
    trained = zoo.load(name)
    fresh = zoo.load(name, num_classes=4)
    prefix = SHIPPED[name]
    assert fresh.labels == ["0", "1", "2", "3"] and fresh(IMAGES).shape == (3, 4)
    assert fresh.report.reinitialised == [f"{prefix}weight", f"{prefix}bias"]
    before, after = trained.model.state_dict(), fresh.model.state_dict()
    assert all(torch.equal(after[k], before[k]) for k in before if not k.startswith(prefix))
    assert not torch.equal(after[f"{prefix}weight"][:4], before[f"{prefix}weight"][:4])


def test_num_classes_of_the_checkpoints_own_count_keeps_its_classifier():
    kept = zoo.load("vit-tiny-fashion-mnist", num_classes=10)
    assert kept.labels[0] == "T-shirt/top" and kept.report.reinitialised == []
    torch.testing.assert_close(kept(IMAGES), zoo.load("vit-tiny-fashion-mnist")(IMAGES), rtol=0, atol=0)


def test_num_classes_for_a_language_model_or_below_one_is_refused():
    with pytest.raises(ZooError, match="is a text-causal-lm model, which has no classes; load it without num_classes"):
        zoo.load("gpt-tiny-web-bible", num_classes=3)
    with pytest.raises(ZooError, match="num_classes must be a positive integer, got 0"):
        zoo.load("vit-tiny-fashion-mnist", num_classes=0)


def test_export_writes_the_format_and_refuses_labels_that_do_not_fit(micro_checkpoint, tmp_path):
    from tests.conftest import micro_vit_config
    from zoo.datasets.fashion_mnist import FashionMNISTDataModule
    from zoo.hub.build import build
    from zoo.hub.export import export_checkpoint

    assert read_checkpoint(micro_checkpoint).config["format"] == FORMAT
    data, config = FashionMNISTDataModule(), micro_vit_config()
    with pytest.raises(ZooError, match="the model has 10 classes but 3 labels were given"):
        export_checkpoint(tmp_path / "x", build(config), config, ["a", "b", "c"], data.preprocessing, {}, "-", "-")
    assert not (tmp_path / "x").exists()
