"""The table of built-in datasets: what each module declares, which dataset a checkpoint
finds (by its recorded datamodule, old class paths and tasks included), ``zoo data prepare``."""

import ast
import importlib
from pathlib import Path

import pytest
import yaml

import zoo
from zoo.datasets import DATASETS, for_checkpoint, names, prepare, prepare_names
from zoo.errors import ZooError
from zoo.hub.registry import list_models, shipped_dir

PACKAGE = Path(zoo.__file__).parent


@pytest.mark.parametrize("row", DATASETS, ids=lambda row: row.name)
def test_each_module_declares_its_held_out_data_and_its_prepare_as_its_row_says(row):
    module = row.load()
    assert module is importlib.import_module(row.module) and callable(module.held_out)
    assert hasattr(module, "prepare") == row.prepares


def test_names_and_the_prepare_command():
    assert names() == [
        "fashion-mnist", "rotten-tomatoes", "web-bible", "spoken-digits", "spoken-language", "english-corpus",
        "tuxpaint-audio", "bible-en-es", "moving-fashion", "tuxpaint-stamps",
    ]  # fmt: skip
    assert prepare_names() == [
        "fashion-mnist", "web-bible", "spoken-language", "english-corpus", "tuxpaint-audio", "bible-en-es",
        "moving-fashion", "tuxpaint-stamps",
    ]  # fmt: skip
    with pytest.raises(ZooError, match=r"unknown dataset 'mnist'; choose one of: fashion-mnist, web-bible, spoken"):
        prepare("mnist")
    with pytest.raises(ZooError, match=r"spoken-digits ships whole inside the package: nothing to prepare"):
        prepare("spoken-digits")


def test_prepare_runs_the_modules_prepare_on_the_source(tmp_path):
    with pytest.raises(ZooError, match=f"{tmp_path} lacks train-images-idx3-ubyte.gz"):
        prepare("fashion-mnist", str(tmp_path))  # fashion_mnist.prepare, given the folder as a Path


SHIPPED = {  # checkpoint -> the dataset its card was measured on
    "vit-tiny-fashion-mnist": "fashion-mnist",
    "resnet-fashion-mnist": "fashion-mnist",
    "bert-tiny-rotten-tomatoes": "rotten-tomatoes",
    "gru-rotten-tomatoes": "rotten-tomatoes",
    "gpt-tiny-web-bible": "web-bible",
    "lstm-lm-web-bible": "web-bible",
    "ast-tiny-spoken-digits": "spoken-digits",
    "cnn-spoken-digits": "spoken-digits",
    "ast-tiny-spoken-language": "spoken-language",
    "cnn-spoken-language": "spoken-language",
    "bert-tiny-english": "english-corpus",
    "vit-tiny-mae-fashion-mnist": "fashion-mnist",
    "ast-tiny-mae-tuxpaint-audio": "tuxpaint-audio",
    "cct-tiny-fashion-mnist": "fashion-mnist",
    "gpt-tiny-english": "english-corpus",
    "transformer-tiny-bible-en-es": "bible-en-es",
    "vatt-tiny-moving-fashion": "moving-fashion",
    "lstm-attention-bible-en-es": "bible-en-es",
    "word2vec-skipgram-web-bible": "web-bible",
    "word2vec-cbow-web-bible": "web-bible",
    "dcgan-fashion-mnist": "fashion-mnist",
    "retnet-tiny-web-bible": "web-bible",
}


@pytest.mark.parametrize("entry", list_models(), ids=lambda entry: entry.name)
def test_every_shipped_checkpoint_finds_its_dataset_by_what_its_config_recorded(entry):
    """Their config.yaml files record old class paths (zoo.data.spoken_digits...) or none."""
    config = yaml.safe_load((shipped_dir() / entry.location / "config.yaml").read_text())
    assert for_checkpoint(config.get("data"), config["task"]).name == SHIPPED[entry.name]


@pytest.mark.parametrize(
    ("data", "task", "found"),
    [
        ("zoo.datasets.fashion_mnist.FashionMNISTDataModule", "image-classification", "fashion-mnist"),
        ("zoo.datasets.rotten_tomatoes.RottenTomatoesLMDataModule", "text-masked-lm", "rotten-tomatoes"),
        ("zoo.datasets.web_bible.WebBibleDataModule", "text-causal-lm", "web-bible"),
        ("zoo.datasets.spoken_language.SpokenLanguageDataModule", "audio-classification", "spoken-language"),
        ("zoo.datasets.tuxpaint_audio.TuxPaintAudioDataModule", "audio-masked-autoencoder", "tuxpaint-audio"),
        ("zoo.data.rotten_tomatoes.RottenTomatoesDataModule", "text-classification", "rotten-tomatoes"),
        (None, "text-masked-lm", "rotten-tomatoes"),
        ("zoo.data.language_modeling.LanguageModelDataModule", "text-causal-lm", "web-bible"),  # by task
        (None, "audio-classification", None),  # two audio sets: an unrecorded one is not guessed
        ("zoo.data.audio_folder.AudioFolderDataModule", "audio-classification", None),
    ],
)
def test_a_checkpoint_finds_its_dataset_by_class_path_else_by_task(data, task, found):
    row = for_checkpoint(data, task)
    assert (row.name if row else None) == found


def imports(path: Path) -> list[str]:
    """The modules (and ``module.name`` of each ``from module import name``) that ``path`` imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return found


def test_no_code_outside_the_datasets_imports_a_dataset_module():
    """Only the table names the datasets; generic ``zoo.data`` never imports ``zoo.datasets``."""
    modules = {row.module for row in DATASETS}
    for path in PACKAGE.rglob("*.py"):
        where = path.relative_to(PACKAGE).parts[0]
        if where == "datasets":
            continue
        for name in imports(path):
            assert not any(name == m or name.startswith(m + ".") for m in modules), f"{path} imports {name}"
            assert not (where == "data" and name.startswith("zoo.datasets")), f"{path} imports {name}"
