"""zoo list and zoo predict: the user's view of the checkpoint table and of predictions."""

import json

from PIL import Image

from tests.conftest import error_line, run_zoo
from zoo.commands import main
from zoo.hub.registry import headline_metric, list_models


def _shoe(tmp_path):
    from zoo.datasets.fashion_mnist import load_arrays

    arrays = load_arrays("embedded")
    i = int((arrays["test_labels"] == 7).argmax())  # a Sneaker
    path = tmp_path / "shoe.png"
    Image.fromarray(arrays["test_images"][i]).resize((100, 100)).convert("RGB").save(path)
    return path


def test_list_prints_every_named_checkpoint_with_its_metrics(capsys):
    main(["list"])
    out = capsys.readouterr().out
    for entry in list_models():
        if entry.task.endswith("masked-autoencoder"):  # no column for its loss: the name alone
            assert entry.name[:20] in out
            continue
        metric = headline_metric(entry.task)
        assert entry.name in out and f"{entry.metrics[metric]:.4f}" in out


def test_predict_json_contract(micro_checkpoint, tmp_path, capsys):
    shoe = _shoe(tmp_path)
    main(["predict", str(micro_checkpoint), str(shoe), str(shoe), "--json", "--topk", "2"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    result = json.loads(lines[0])
    assert set(result) == {"input", "label", "score", "topk"} and result["input"] == str(shoe)
    assert len(result["topk"]) == 2 and result["topk"][0] == [result["label"], result["score"]]
    assert result["topk"][0][1] >= result["topk"][1][1]


def test_predict_prints_labels_and_probabilities(micro_checkpoint, tmp_path):
    result = run_zoo(["predict", str(micro_checkpoint), str(_shoe(tmp_path))], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].endswith("shoe.png") and len(lines) == 4 and "%" in lines[1]


def test_predict_bad_input_is_one_line(micro_checkpoint, tmp_path, capsys):
    (tmp_path / "notes.png").write_text("not an image")
    assert f"{tmp_path / 'notes.png'}: not a readable image" in error_line(
        ["predict", str(micro_checkpoint), str(tmp_path / "notes.png")], capsys
    )
    assert "missing.png: no such file" in error_line(["predict", str(micro_checkpoint), "missing.png"], capsys)
    assert "see zoo list" in error_line(["predict", "no-such-model", "x.png"], capsys)
