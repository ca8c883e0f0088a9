"""The zoo command: bad input gives one line and exit status 2; zoo run writes metrics."""

import json

import pytest

from tests.conftest import MICRO_VIT, QUICK, QUICK_BATCH, run_zoo
from zoo.cli import main


def _error_of(argv, capsys) -> str:
    """The error line of ``zoo ARGV`` run in this process (see the subprocess test for all of stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("zoo: error: ")
    return last


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
    err = _error_of(["fit", "--config", recipe], capsys)
    assert "model.model.backbone (zoo.backbone.transformer.Transformer)" in err
    assert "'embd_dim' is not accepted" in err


def test_wrong_type_is_named(in_tmp, capsys):
    recipe = _recipe_with(in_tmp, "max_epochs: 12", "max_epochs: four")
    assert "trainer.max_epochs: expected int, got 'four'" in _error_of(["fit", "--config", recipe], capsys)


def test_misspelled_flag_is_not_taken_as_an_abbreviation(in_tmp, capsys):
    err = _error_of(["fit", "--config", str(QUICK), "--trainer.max_epoch", "3"], capsys)
    assert "unrecognized arguments: --trainer.max_epoch" in err


def test_missing_recipe(in_tmp, capsys):
    assert "nope.yaml'; give the path of a recipe YAML" in _error_of(["fit", "--config", "nope.yaml"], capsys)
    assert "recipe nope.yaml does not exist" in _error_of(["run", "nope.yaml"], capsys)


def test_patch_size_that_does_not_divide_the_image(in_tmp, capsys):
    recipe = _recipe_with(in_tmp, "patch_size: 7", "patch_size: 5")
    err = _error_of(["run", recipe], capsys)
    assert "image size 28x28 is not divisible by patch_size 5; resize or crop to a multiple of 5" in err


def test_missing_full_dataset_names_the_command_that_prepares_it(in_tmp, capsys):
    recipe = _recipe_with(in_tmp, "variant: embedded", "variant: full")
    err = _error_of(["run", recipe, *MICRO_VIT], capsys)
    assert "full Fashion-MNIST is not prepared" in err and "run: zoo data prepare fashion-mnist" in err


def test_unknown_command_and_dataset(capsys):
    assert "unknown command 'frob'" in _error_of(["frob"], capsys)
    assert "unknown dataset 'mnist'" in _error_of(["data", "prepare", "mnist"], capsys)


def test_missing_arguments_are_one_line_too(capsys):
    assert "the following arguments are required: recipe; see zoo run --help" in _error_of(["run"], capsys)
    assert "required: name" in _error_of(["data", "prepare"], capsys)


def test_logger_switched_off_under_a_callback_that_needs_it(in_tmp, capsys):
    err = _error_of(["run", str(QUICK), *MICRO_VIT, "--trainer.logger=false"], capsys)
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
    assert "test/acc" in result.stdout  # the printed table
