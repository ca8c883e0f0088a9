"""The audio domain end to end, as a user runs it: zoo run -> predict clips -> finetune on an audio folder.

A micro AST (D=32, depth 1) on the embedded spoken digits, so each training run takes seconds.
"""

import io
import json
import zipfile

import numpy as np
import pytest
import soundfile as sf
import yaml

from tests.conftest import ROOT, error_line, run_zoo
from zoo.datasets.spoken_digits import DIGITS, embedded_archive

AUDIO = ROOT / "recipes" / "audio"
_M = "--model.init_args.model.init_args"
MICRO_AST = [
    f"{_M}.frontend.init_args.embed_dim=32",
    f"{_M}.backbone.init_args.embed_dim=32",
    f"{_M}.backbone.init_args.depth=1",
    f"{_M}.backbone.init_args.num_heads=2",
    f"{_M}.head.init_args.embed_dim=32",
    "--trainer.precision=32-true",
    "--trainer.max_epochs=2",
]


def ok(result):
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def digit_clips(split: str, words: tuple[str, ...], per_word: int) -> dict[str, list[tuple[np.ndarray, int]]]:
    """Clips of the embedded set: {word: [(samples, rate), ...]}."""
    clips: dict[str, list] = {word: [] for word in words}
    with zipfile.ZipFile(embedded_archive()) as archive:
        for name in sorted(archive.namelist()):
            _, word, _ = name.split("/")
            if name.startswith(split + "/") and word in clips and len(clips[word]) < per_word:
                clips[word].append(sf.read(io.BytesIO(archive.read(name)), dtype="float32"))
    return clips


def write_folder(root, clips, names=None):
    for word, items in clips.items():
        folder = root / (names or {}).get(word, word)
        folder.mkdir(parents=True)
        for i, (samples, rate) in enumerate(items):
            sf.write(folder / f"{i}.wav", samples, rate)
    return root


@pytest.fixture(scope="module")
def ast(tmp_path_factory):
    out = tmp_path_factory.mktemp("ast") / "run"
    ok(run_zoo(["run", str(AUDIO / "ast_tiny_spoken_digits_quick.yaml"), "--output", str(out), *MICRO_AST],
               cwd=out.parent))  # fmt: skip
    return out


@pytest.mark.slow
def test_audio_run_writes_a_checkpoint_that_reads_audio(ast):
    metrics = json.loads((ast / "metrics.json").read_text())
    # tested on every one of the 270 held-out clips (a micro AST learns little in 2 epochs:
    # what the recipes reach is in their headers)
    assert sum(map(sum, metrics["confusion_matrix"])) == 270 and 0 <= metrics["test/acc"] <= 1
    config = yaml.safe_load((ast / "checkpoint" / "config.yaml").read_text())
    assert config["task"] == "audio-classification" and config["labels"] == list(DIGITS)
    assert config["data"] == "zoo.datasets.spoken_digits.SpokenDigitsDataModule"


@pytest.mark.slow
def test_predict_prints_the_topk_labels_of_clips_at_any_rate_and_length(ast, tmp_path):
    (samples, rate), = digit_clips("test", ("seven",), 1)["seven"]  # fmt: skip
    sf.write(tmp_path / "seven.wav", samples, rate)
    sf.write(tmp_path / "seven_8k.flac", samples[::2], rate // 2)  # an 8 kHz file where 16 kHz is expected
    sf.write(tmp_path / "silence.wav", np.zeros(8000, np.float32), 16000)
    sf.write(tmp_path / "long.wav", np.tile(samples, 200), rate)  # about 3 minutes: cut to 1.5 s
    files = [tmp_path / n for n in ("seven.wav", "seven_8k.flac", "silence.wav", "long.wav")]
    result = ok(run_zoo(["predict", str(ast / "checkpoint"), *map(str, files), "--topk", "3", "--json"], cwd=tmp_path))
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["input"] for row in rows] == list(map(str, files))
    assert all(len(row["topk"]) == 3 and 0 < row["score"] <= 1 for row in rows)
    text = ok(run_zoo(["predict", str(ast / "checkpoint"), str(files[0])], cwd=tmp_path)).stdout
    assert text.startswith(str(files[0])) and "%" in text


@pytest.mark.slow
def test_predict_names_a_file_that_is_not_audio_and_an_empty_clip(ast, tmp_path, capsys):
    (tmp_path / "notes.wav").write_text("hello")
    line = error_line(["predict", str(ast / "checkpoint"), str(tmp_path / "notes.wav")], capsys)
    assert "notes.wav: not a readable audio file" in line
    sf.write(tmp_path / "empty.wav", np.zeros(0, np.float32), 16000)
    line = error_line(["predict", str(ast / "checkpoint"), str(tmp_path / "empty.wav")], capsys)
    assert "empty.wav: the clip is empty (0 samples)" in line


@pytest.mark.slow
def test_finetune_on_an_audio_folder_keeps_the_head_for_known_labels(ast, tmp_path):
    data = write_folder(tmp_path / "clips", digit_clips("val", ("one", "two", "three"), 5))
    out = tmp_path / "tuned"
    result = ok(run_zoo(["finetune", str(ast / "checkpoint"), "--data", str(data), "--output", str(out),
                         "--epochs", "1", "--min-steps", "0", "--precision", "32-true", "--batch-size", "4"], cwd=tmp_path))  # fmt: skip
    assert "re-initialised" not in result.stdout
    assert "val/acc" in json.loads((out / "metrics.json").read_text())
    tuned = yaml.safe_load((out / "config.yaml").read_text())
    assert tuned["labels"] == list(DIGITS)  # the checkpoint's head, in its label order
    assert tuned["preprocessing"] == {"sample_rate": 16000, "max_seconds": 1.5, "kind": "audio"}


@pytest.mark.slow
def test_finetune_new_labels_train_a_new_head(ast, tmp_path):
    names = {"one": "uno", "two": "dos"}
    data = write_folder(tmp_path / "clips", digit_clips("val", ("one", "two"), 5), names)
    args = ["finetune", str(ast / "checkpoint"), "--data", str(data), "--output", str(tmp_path / "o")]
    args += ["--epochs", "1", "--min-steps", "0"]
    result = ok(run_zoo([*args, "--precision", "32-true", "--batch-size", "4"], cwd=tmp_path))  # no --new-head needed
    assert "a new head for 2 labels" in result.stdout and "re-initialised 2: head.fc.weight, head.fc.bias" in result.stdout
    predicted = ok(run_zoo(["predict", str(tmp_path / "o"), str(data / "uno" / "0.wav"), "--json"], cwd=tmp_path))
    assert json.loads(predicted.stdout)["label"] in ("uno", "dos")


@pytest.mark.slow
def test_the_transfer_recipe_reports_the_reused_backbone(tmp_path):
    """The from-ViT recipe on the digits (its data swapped for the embedded set, one epoch on a
    few batches): the run prints which keys came from the image checkpoint."""
    recipe = (AUDIO / "ast_tiny_spoken_language_from_vit.yaml").read_text()
    recipe = recipe.replace(
        "zoo.datasets.spoken_language.SpokenLanguageDataModule", "zoo.datasets.spoken_digits.SpokenDigitsDataModule"
    )
    recipe = recipe.replace("num_classes: 9", "num_classes: 10").replace("max_seconds: 3.0", "max_seconds: 1.5")
    (tmp_path / "transfer.yaml").write_text(recipe)
    result = ok(run_zoo(["fit", "--config", str(tmp_path / "transfer.yaml"), "--trainer.max_epochs=1",
                         "--trainer.limit_train_batches=2", "--trainer.limit_val_batches=1",
                         "--trainer.precision=32-true"], cwd=tmp_path))  # fmt: skip
    assert (
        "initialised from vit-tiny-fashion-mnist: reused 74 tensors; re-initialised 7: frontend.cls_token, "
        "frontend.freq_embed, frontend.time_embed, frontend.proj.weight, frontend.proj.bias, head.fc.weight, "
        "head.fc.bias"
    ) in result.stdout + result.stderr
