"""Translation end to end, as a user runs it: zoo run -> zoo translate (texts, files, the
alignment picture) and zoo.load(...).translate, for the Transformer and its LSTM twin.

Micro models (D=16, one layer each side) trained for a few steps on the embedded books.
"""

import re

import pytest
import torch

from tests.conftest import ROOT, error_line, run_zoo

RECIPES = ROOT / "recipes" / "translation"
_M = "--model.init_args.model.init_args"
MICRO_DATA = ["--data.init_args.vocab_size=300", "--trainer.precision=32-true", "--trainer.max_epochs=1",
              "--trainer.limit_train_batches=4", "--model.init_args.bleu_batches=1"]  # fmt: skip
MICRO_LSTM = [f"{_M}.vocab_size=300", f"{_M}.embed_dim=16", f"{_M}.hidden_size=16", *MICRO_DATA]
MICRO_TRANSFORMER = [
    *(f"{_M}.{side}_frontend.init_args.{key}" for side in ("source", "target") for key in ("vocab_size=300", "embed_dim=16")),
    *(f"{_M}.{stack}.init_args.{key}" for stack in ("encoder", "decoder") for key in ("embed_dim=16", "depth=1", "num_heads=2")),
    f"{_M}.generator.init_args.embed_dim=16",
    f"{_M}.generator.init_args.vocab_size=300",
    *MICRO_DATA,
]  # fmt: skip
GENESIS_1_1 = "In the beginning, God created the heavens and the earth."


def ok(result):
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def trained(tmp_path_factory, recipe: str, overrides: list[str]):
    out = tmp_path_factory.mktemp(recipe) / "run"
    ok(run_zoo(["run", str(RECIPES / f"{recipe}.yaml"), "--output", str(out), *overrides], cwd=out.parent))
    return out / "checkpoint"


@pytest.fixture(scope="module")
def lstm(tmp_path_factory):
    return trained(tmp_path_factory, "lstm_attention_bible_en_es_quick", MICRO_LSTM)


@pytest.fixture(scope="module")
def transformer(tmp_path_factory):
    return trained(tmp_path_factory, "transformer_tiny_bible_en_es_quick", MICRO_TRANSFORMER)


def test_translate_prints_a_line_per_text_as_the_python_api_translates(lstm, tmp_path):
    import zoo

    texts = [GENESIS_1_1, "Jesus wept.", "日本語 ☃ 🙂 — characters the Bible never had"]
    result = ok(run_zoo(["translate", str(lstm), *texts, "--strategy", "greedy"], cwd=tmp_path))
    printed = result.stdout.splitlines()
    assert len(printed) == 3 and all(printed)
    assert printed == zoo.load(lstm).translate(texts, strategy="greedy")


def test_a_file_is_translated_line_for_line_blank_lines_kept_long_lines_cut(lstm, tmp_path):
    source, output = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text(f"{GENESIS_1_1}\n\n{'and the earth ' * 200}\nJesus wept.\n", encoding="utf-8")
    result = ok(run_zoo(["translate", str(lstm), "--input", str(source), "--output", str(output)], cwd=tmp_path))
    lines = output.read_text(encoding="utf-8").split("\n")
    assert len(lines) == 5 and lines[-1] == ""  # four lines, each ended
    assert lines[0] and lines[1] == "" and lines[2] and lines[3]
    assert re.search(r"warning: line 3 has \d{4} tokens; only the first 127 were translated", result.stderr)
    assert "4 translations written to" in result.stderr and result.stdout == ""


def test_a_failure_half_way_through_a_file_writes_nothing(lstm, tmp_path, monkeypatch, capsys):
    from zoo.errors import ZooError
    from zoo.hub.pretrained import Pretrained

    source, output = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("\n".join(["Jesus wept.", GENESIS_1_1 + " And more.", "Amen."]) + "\n", encoding="utf-8")
    calls, translate_ids = [], Pretrained._translate_ids

    def fail_second_batch(self, sources, options):
        calls.append(len(sources))
        if len(calls) == 2:
            raise ZooError("the machine ran out of memory")
        return translate_ids(self, sources, options)

    monkeypatch.setattr(Pretrained, "_translate_ids", fail_second_batch)
    argv = ["translate", str(lstm), "--input", str(source), "--output", str(output), "--batch-size", "1"]
    assert error_line(argv, capsys) == "zoo: error: the machine ran out of memory"
    assert calls == [1, 1] and sorted(p.name for p in tmp_path.iterdir()) == ["in.txt"]


def test_the_alignment_picture_and_its_weights(transformer, tmp_path):
    import zoo

    picture = tmp_path / "alignment.png"
    result = ok(run_zoo(["translate", str(transformer), GENESIS_1_1, "--alignment", str(picture)], cwd=tmp_path))
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and len(result.stdout.splitlines()) == 1
    source, target, weights = zoo.load(transformer).alignment(GENESIS_1_1)
    assert source[-1] == "</s>" and "God" in "".join(source)  # an untrained model may not end its translation
    assert weights.shape == (len(target), len(source))
    torch.testing.assert_close(weights.sum(-1), torch.ones(len(target)))


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "give the sentences to translate, or --input FILE (one of the two)"),
        (["a", "b", "--alignment", "map.png"], "--alignment draws one sentence; give exactly one TEXT"),
        (["a", "--output", "missing/out.txt"], "the folder"),
        (["--input", "latin1.txt"], "is not UTF-8 text (byte 7); convert it to UTF-8"),
        (["a", "--num-beams", "0"], "num_beams must be >= 1, got 0"),
    ],
)
def test_bad_input_is_one_line(lstm, tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "latin1.txt").write_bytes("Jesus wept. Señor\n".encode("latin-1").replace(b"wept.", b"w\xe9pt."))
    assert message in error_line(["translate", str(lstm), *args], capsys)


def test_a_model_that_does_not_translate_says_so(micro_checkpoint, capsys):
    line = error_line(["translate", str(micro_checkpoint), "hello"], capsys)
    assert line.endswith("does not translate (its task: image-classification); use zoo predict or zoo generate")


def test_finetune_on_a_users_pairs_writes_a_translation_checkpoint(lstm, tmp_path):
    import json

    import zoo
    from zoo.datasets.bible_en_es import read_rows

    ruth = [(en, es) for (book, _, _), en, es in read_rows("embedded") if book == "Ruth"]
    pairs = tmp_path / "ruth.tsv"
    pairs.write_text("".join(f"{en}\t{es}\n" for en, es in ruth[:40]), encoding="utf-8")
    out = tmp_path / "mine"
    result = ok(run_zoo(["finetune", str(lstm), "--data", str(pairs), "--output", str(out), "--epochs", "1",
                         "--min-steps", "0", "--batch-size", "8", "--precision", "32-true"], cwd=tmp_path))  # fmt: skip
    assert "the whole translation model trains" in result.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"val/bleu", "val/loss", "bleu_signature"} <= metrics.keys()  # one file: its held-out fifth tests
    assert metrics["reused_tensors"] > 0
    assert zoo.load(out).translate(["Jesus wept."])[0]


def test_finetune_refuses_classifier_settings_for_a_translation_model(lstm, tmp_path, capsys):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("a\tb\n" * 20, encoding="utf-8")
    line = error_line(["finetune", str(lstm), "--data", str(pairs), "--output", str(tmp_path / "o"),
                       "--freeze", "backbone"], capsys)  # fmt: skip
    assert line.endswith("freeze: classifier settings; a translation model fine-tunes whole, leave them out")


def test_the_python_api_defines_odd_input(lstm):
    import zoo
    from zoo.errors import ZooError
    from zoo.hub.pretrained import TruncationWarning

    model = zoo.load(lstm)
    with pytest.warns(TruncationWarning, match=r"text 2 has \d+ tokens; the model reads the first 127"):
        out = model.translate(["  ", "the " * 400, "Jesus wept."], strategy="greedy")
    assert out[0] == "" and out[1] and out[2]
    with pytest.raises(ZooError, match="wrap the one text in a list"):
        model.translate("Jesus wept.")
