"""The zoo command: bad input gives one line and exit status 2; zoo run writes metrics."""

import json

import pytest

from tests.conftest import MICRO_VIT, QUICK, QUICK_BATCH, error_line, run_zoo


def test_user_error_prints_one_line_and_no_traceback(in_tmp):
    recipe = _recipe_with(in_tmp, "embed_dim: 192, depth: 6", "embd_dim: 192, depth: 6")
    result = run_zoo(["fit", "--config", recipe], in_tmp)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]  # exactly one line
    assert result.stderr.startswith("zoo: error: recipe key model.model.backbone")


def _recipe_with(tmp_path, old: str, new: str):
    text = QUICK.read_text()
    assert old in text
    path = tmp_path / "recipe.yaml"
    path.write_text(text.replace(old, new))
    return str(path)


def test_misspelled_recipe_key_is_named(in_tmp, capsys):
    recipe = _recipe_with(in_tmp, "embed_dim: 192, depth: 6", "embd_dim: 192, depth: 6")
    err = error_line(["fit", "--config", recipe], capsys)
    assert "model.model.backbone (zoo.backbone.transformer.Transformer)" in err
    assert "'embd_dim' is not accepted" in err


def test_wrong_type_is_named(in_tmp, capsys):
    recipe = _recipe_with(in_tmp, "max_epochs: 20", "max_epochs: four")
    assert "trainer.max_epochs: expected int, got 'four'" in error_line(["fit", "--config", recipe], capsys)


def test_misspelled_flag_is_not_taken_as_an_abbreviation(in_tmp, capsys):
    err = error_line(["fit", "--config", str(QUICK), "--trainer.max_epoch", "3"], capsys)
    assert "unrecognized arguments: --trainer.max_epoch" in err


def test_missing_recipe(in_tmp, capsys):
    assert "nope.yaml'; give the path of a recipe YAML" in error_line(["fit", "--config", "nope.yaml"], capsys)
    assert "recipe nope.yaml does not exist" in error_line(["run", "nope.yaml"], capsys)


def test_patch_size_that_does_not_divide_the_image(in_tmp, capsys):
    recipe = _recipe_with(in_tmp, "patch_size: 8, stride: 5", "patch_size: 5")
    err = error_line(["run", recipe], capsys)
    assert "image size 28x28 is not divisible by patch_size 5; resize or crop to a multiple of 5" in err


def test_patches_that_do_not_tile_the_image(in_tmp, capsys):
    recipe = _recipe_with(in_tmp, "patch_size: 8, stride: 5", "patch_size: 8, stride: 6")
    err = error_line(["run", recipe], capsys)
    assert "image size 28x28 is not tiled by patch_size 8 at stride 6; use sides of 8 + a multiple of 6" in err


def test_missing_full_dataset_names_the_command_that_prepares_it(in_tmp, capsys):
    recipe = _recipe_with(in_tmp, "variant: embedded", "variant: full")
    err = error_line(["run", recipe, *MICRO_VIT], capsys)
    assert "full Fashion-MNIST is not prepared" in err and "run: zoo data prepare fashion-mnist" in err


def test_unknown_command_and_dataset(capsys):
    assert "unknown command 'frob'" in error_line(["frob"], capsys)
    assert "unknown dataset 'mnist'" in error_line(["data", "prepare", "mnist"], capsys)


def test_missing_arguments_are_one_line_too(capsys):
    assert "the following arguments are required: recipe; see zoo run --help" in error_line(["run"], capsys)
    assert "required: name" in error_line(["data", "prepare"], capsys)


def test_logger_switched_off_under_a_callback_that_needs_it(in_tmp, capsys):
    err = error_line(["run", str(QUICK), *MICRO_VIT, "--trainer.logger=false"], capsys)
    assert "Cannot use `LearningRateMonitor` callback with `Trainer` that has no logger" in err


def test_run_trains_tests_and_writes_metrics(in_tmp):
    """The quick recipe (micro model, one epoch) learns real data: far above 10 % chance."""
    out = in_tmp / "out"
    result = run_zoo(["run", str(QUICK), "--output", str(out), "--trainer.max_epochs=1", *MICRO_VIT], in_tmp)
    assert result.returncode == 0, result.stderr[-2000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test/acc"] > 0.5, metrics  # chance is 0.1
    assert {"test/acc_top5", "test/f1_macro", "test/loss", "params", "train_seconds"} <= metrics.keys()
    assert metrics["train_samples_per_second"] > 0 and metrics["steps"] == 9000 // QUICK_BATCH
    confusion = metrics["confusion_matrix"]
    assert len(confusion) == 10 and sum(map(sum, confusion)) == 2000  # every test image, once
    from PIL import Image

    for picture in ("curves.png", "confusion_matrix.png"):  # their content: tests/test_run_plots.py
        assert Image.open(out / picture).format == "PNG"
    assert "test/acc" in result.stdout  # the printed table, then how to use what it wrote
    assert f"predict: `zoo predict {out / 'checkpoint'} FILE...`" in result.stdout  # unwrapped: copied as is
    # The run ends with a zoo checkpoint; loaded, it reproduces the test accuracy exactly.
    import zoo
    from zoo.datasets.fashion_mnist import FashionMNISTDataModule
    from zoo.pipeline.evaluate import evaluate

    loaded = zoo.load(out / "checkpoint")
    card_metrics = json.loads((out / "checkpoint" / "metrics.json").read_text())
    assert card_metrics["test/acc"] == metrics["test/acc"] and card_metrics["weights_dtype"] == "float32"
    assert evaluate(loaded, FashionMNISTDataModule())["test/acc"] == pytest.approx(metrics["test/acc"], abs=1e-6)
    assert (out / "recipe.yaml").is_file() and (out / "lightning" / "last.ckpt").is_file()
    # Logs go under the run's own folder, not the recipe's default one.
    assert (out / "csv").is_dir() and (out / "tensorboard").is_dir() and not (in_tmp / "runs").exists()
    assert metrics["precision"] == "32-true" and "bf16" in metrics["cpu"]  # what it ran at, on what

    # Re-exported in float16, it is measured again on the stored weights.
    result = run_zoo(["export", str(out), "--weights-dtype", "float16", "--output", str(in_tmp / "half")], in_tmp)
    assert result.returncode == 0, result.stderr[-2000:]
    half = json.loads((in_tmp / "half" / "metrics.json").read_text())
    assert half["weights_dtype"] == "float16" and abs(half["test/acc"] - metrics["test/acc"]) < 0.01
    assert half["train_seconds"] == metrics["train_seconds"]  # the training facts carry over
    assert evaluate(zoo.load(in_tmp / "half"), FashionMNISTDataModule())["test/acc"] == pytest.approx(
        half["test/acc"], abs=1e-6
    )
    assert (in_tmp / "half" / "model.safetensors").stat().st_size < 0.6 * (
        out / "checkpoint" / "model.safetensors"
    ).stat().st_size


@pytest.mark.parametrize(
    ("task", "command"),
    [("image-classification", "zoo predict m FILE..."), ("text-causal-lm", "zoo generate m --prompt TEXT"),
     ("text-masked-lm", "zoo finetune m --data DATA --output DIR"),
     ("audio-masked-autoencoder", "zoo finetune m --data DATA --output DIR")],
)  # fmt: skip
def test_each_task_is_told_the_command_that_uses_it(task, command):
    from zoo.hub.export import use_line

    assert f"`{command}`" in use_line(task, "m")
