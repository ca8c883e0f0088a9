"""The text domain end to end, as a user runs it: zoo run -> predict / generate -> finetune on a CSV.

Micro models (D=32, depth 1) on the embedded data, so each training run takes seconds.
"""

import json
import re

import pytest

from tests.conftest import ROOT, error_line, run_zoo

TEXT = ROOT / "recipes" / "text"
_M = "--model.init_args.model.init_args"
MICRO_ENCODER = [
    f"{_M}.frontend.init_args.vocab_size=600",
    f"{_M}.frontend.init_args.embed_dim=32",
    f"{_M}.backbone.init_args.embed_dim=32",
    f"{_M}.backbone.init_args.depth=1",
    f"{_M}.backbone.init_args.num_heads=2",
    f"{_M}.head.init_args.embed_dim=32",
    "--trainer.precision=32-true",
    "--trainer.max_epochs=2",
    "--data.init_args.variant=embedded",
]
MICRO_CLASSIFIER = [*MICRO_ENCODER, "--data.init_args.vocab_size=600"]
MICRO_MLM = [*MICRO_ENCODER, f"{_M}.head.init_args.vocab_size=600", "--data.init_args.vocab_size=600"]
MICRO_GPT = [
    f"{_M}.frontend.init_args.vocab_size=600",
    f"{_M}.frontend.init_args.embed_dim=32",
    f"{_M}.frontend.init_args.max_len=32",
    f"{_M}.backbone.init_args.embed_dim=32",
    f"{_M}.backbone.init_args.depth=1",
    f"{_M}.backbone.init_args.num_heads=2",
    f"{_M}.head.init_args.embed_dim=32",
    f"{_M}.head.init_args.vocab_size=600",
    "--data.init_args.vocab_size=600",
    "--data.init_args.seq_len=32",
    "--data.init_args.variant=embedded",
    "--trainer.precision=32-true",
    "--trainer.max_epochs=1",
]


def ok(result):
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    """A micro BERT-style classifier trained by the scratch recipe on the embedded snippets."""
    out = tmp_path_factory.mktemp("bert") / "run"
    recipe = TEXT / "bert_tiny_rotten_tomatoes_scratch.yaml"
    ok(run_zoo(["run", str(recipe), "--output", str(out), *MICRO_CLASSIFIER], cwd=out.parent))
    return out


@pytest.fixture(scope="module")
def gpt(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpt") / "run"
    ok(run_zoo(["run", str(TEXT / "gpt_tiny_web_bible.yaml"), "--output", str(out), *MICRO_GPT], cwd=out.parent))
    return out


@pytest.mark.slow
def test_text_classifier_run_writes_a_checkpoint_with_its_tokenizer(classifier):
    metrics = json.loads((classifier / "metrics.json").read_text())
    assert metrics["test/acc"] > 0.5  # 400 held-out snippets; the micro model learns something in 2 epochs
    assert (classifier / "checkpoint" / "tokenizer.json").is_file()
    config = (classifier / "checkpoint" / "config.yaml").read_text()
    assert "task: text-classification" in config and "kind: text" in config


@pytest.mark.slow
def test_predict_classifies_sentences(classifier):
    result = ok(run_zoo(["predict", str(classifier / "checkpoint"), "a triumph", "a bore", "--json"], cwd=classifier))
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["input"] for row in rows] == ["a triumph", "a bore"]
    assert all(row["label"] in ("rotten", "fresh") and 0 < row["score"] <= 1 for row in rows)


def write_reviews(path, labels=("rotten", "fresh"), per_label=20, header="text,label"):
    from zoo.datasets.rotten_tomatoes import embedded_splits

    texts, truth = embedded_splits()["test"]
    rows = [header]
    for label, name in zip(("rotten", "fresh"), labels):
        picked = [t for t, y in zip(texts, truth) if y == label][:per_label]
        rows += [f'"{t.replace(chr(34), chr(39))}",{name}' for t in picked]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.slow
def test_finetune_on_a_csv_keeps_the_head_for_the_checkpoints_labels(classifier, tmp_path):
    csv = write_reviews(tmp_path / "reviews.csv")
    out = tmp_path / "tuned"
    result = ok(run_zoo(["finetune", str(classifier / "checkpoint"), "--data", str(csv), "--output", str(out),
                         "--epochs", "1", "--min-steps", "0", "--precision", "32-true"], cwd=tmp_path))  # fmt: skip
    assert "re-initialised" not in result.stdout
    assert json.loads((out / "metrics.json").read_text())["val/acc"] >= 0.0
    assert (out / "tokenizer.json").read_text() == (classifier / "checkpoint" / "tokenizer.json").read_text()


@pytest.mark.slow
def test_finetune_on_new_labels_gets_a_new_head_without_a_flag(classifier, tmp_path):
    csv = write_reviews(tmp_path / "reviews.csv", labels=("negative", "positive"))
    args = ["finetune", str(classifier / "checkpoint"), "--data", str(csv), "--output", str(tmp_path / "o")]
    result = ok(run_zoo([*args, "--epochs", "1", "--min-steps", "0", "--precision", "32-true"], cwd=tmp_path))
    assert "a new head for 2 labels ('negative', 'positive' are new; none of them in the checkpoint)" in result.stdout
    assert "re-initialised 2: head.fc.weight, head.fc.bias" in result.stdout


@pytest.mark.slow
def test_finetune_names_a_missing_column(classifier, tmp_path, capsys):
    csv = write_reviews(tmp_path / "reviews.csv", header="review,label")
    line = error_line(["finetune", str(classifier / "checkpoint"), "--data", str(csv), "--output", str(tmp_path / "o")],
                      capsys)  # fmt: skip
    assert "no column 'text'" in line and "--text-column" in line
    assert not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def mlm(tmp_path_factory):
    """A micro masked-LM encoder pretrained on the embedded snippets."""
    out = tmp_path_factory.mktemp("mlm") / "run"
    recipe = TEXT / "bert_tiny_mlm_rotten_tomatoes.yaml"
    ok(run_zoo(["run", str(recipe), "--output", str(out), *MICRO_MLM], cwd=out.parent))
    return out


@pytest.mark.slow
def test_masked_lm_pretraining_then_classifier_reports_the_new_head(mlm, tmp_path):
    metrics = json.loads((mlm / "metrics.json").read_text())
    assert 1 < metrics["test/ppl"] < 600  # below chance (the vocabulary size) after 2 epochs
    ckpt = str(mlm / "checkpoint")
    recipe = (
        (TEXT / "bert_tiny_rotten_tomatoes.yaml")
        .read_text()
        .replace("runs/bert_tiny_mlm_rotten_tomatoes/checkpoint", ckpt)
    )
    (tmp_path / "clf.yaml").write_text(recipe)
    tuned = ok(
        run_zoo(["run", str(tmp_path / "clf.yaml"), "--output", str(tmp_path / "clf"), *MICRO_ENCODER], cwd=tmp_path)
    )
    log = tuned.stdout + tuned.stderr
    assert re.search(r"initialised from .*run/checkpoint: reused \d+ tensors; re-initialised 2: head\.fc", log), log[
        -2000:
    ]


@pytest.mark.slow
def test_finetune_turns_a_masked_lm_checkpoint_into_a_classifier(mlm, tmp_path):
    csv = write_reviews(tmp_path / "reviews.csv", labels=("negative", "positive"))
    out = tmp_path / "tuned"
    result = ok(run_zoo(["finetune", str(mlm / "checkpoint"), "--data", str(csv), "--output", str(out),
                         "--epochs", "1", "--min-steps", "0", "--precision", "32-true"], cwd=tmp_path))  # fmt: skip
    assert "a new head for 2 labels" in result.stdout
    # the LM head is dropped and a classifier built in its place; front-end and backbone load
    assert re.search(r"reused \d+ tensors; re-initialised 2: head\.fc\.weight, head\.fc\.bias", result.stdout)
    config = (out / "config.yaml").read_text()
    assert "task: text-classification" in config and "zoo.heads.classifier.ClassifierHead" in config
    assert "pool: cls" in config and "LMHead" not in config
    assert (out / "tokenizer.json").read_text() == (mlm / "checkpoint" / "tokenizer.json").read_text()


@pytest.mark.slow
def test_finetune_turns_a_causal_lm_into_a_classifier_with_a_longer_context(gpt, tmp_path):
    csv = write_reviews(tmp_path / "reviews.csv", labels=("negative", "positive"))
    out = tmp_path / "tuned"
    result = ok(run_zoo(["finetune", str(gpt / "checkpoint"), "--data", str(csv), "--output", str(out), "--epochs", "1",
                         "--min-steps", "0", "--max-len", "64", "--precision", "32-true"], cwd=tmp_path))  # fmt: skip
    assert "a new head for 2 labels" in result.stdout
    # the 32 learned positions extend to 64: only the new classifier starts fresh
    assert re.search(r"reused \d+ tensors; re-initialised 2: head\.fc\.weight, head\.fc\.bias", result.stdout)
    config = (out / "config.yaml").read_text()
    assert "zoo.models.unimodal.UnimodalModel" in config and "zoo.heads.classifier.ClassifierHead" in config
    assert "pool: mean" in config and "max_len: 64" in config and "LMHead" not in config
    assert (out / "tokenizer.json").read_text() == (gpt / "checkpoint" / "tokenizer.json").read_text()
    predicted = ok(run_zoo(["predict", str(out), "a moving film"], cwd=tmp_path)).stdout
    assert "positive" in predicted and "negative" in predicted  # the top labels of the new head


@pytest.mark.slow
def test_generate_continues_a_prompt(gpt):
    result = ok(run_zoo(["generate", str(gpt / "checkpoint"), "--prompt", "In the beginning", "--max-new-tokens", "8"],
                        cwd=gpt))  # fmt: skip
    assert result.stdout.startswith("In the beginning") and len(result.stdout.strip()) > len("In the beginning")
    sampled = ok(run_zoo(["generate", str(gpt / "checkpoint"), "--prompt", "God said", "--strategy", "sample",
                          "--top-p", "0.9", "--seed", "1"], cwd=gpt))  # fmt: skip
    assert sampled.stdout.startswith("God said")
    beam = ok(run_zoo(["generate", str(gpt / "checkpoint"), "--prompt", "God said", "--strategy", "beam"], cwd=gpt))
    assert beam.stdout.startswith("God said")


@pytest.mark.slow
def test_generate_refuses_a_prompt_longer_than_the_context(gpt, capsys):
    line = error_line(["generate", str(gpt / "checkpoint"), "--prompt", "and the earth " * 40], capsys)
    assert "longer than the model's context of 32 tokens" in line


@pytest.mark.slow
def test_each_model_refuses_the_other_command(gpt, classifier, capsys):
    assert "use zoo generate" in error_line(["predict", str(gpt / "checkpoint"), "some text"], capsys)
    assert "only a causal language model" in error_line(["generate", str(classifier / "checkpoint"), "--prompt", "x"],
                                                         capsys)  # fmt: skip
    assert "text 1 is empty" in error_line(["predict", str(classifier / "checkpoint"), "  "], capsys)


@pytest.mark.slow
def test_the_retnet_recipe_trains_ships_and_generates_through_its_recurrent_state(tmp_path):
    out = tmp_path / "run"
    ok(run_zoo(["run", str(TEXT / "retnet_tiny_web_bible.yaml"), "--output", str(out), *MICRO_GPT], cwd=tmp_path))
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test/ppl"] < 300  # a uniform guess over the 600 ids is 600
    config = (out / "checkpoint" / "config.yaml").read_text()
    assert "mixer: retention" in config and "pos_embed: none" in config
    result = ok(run_zoo(["generate", str(out / "checkpoint"), "--prompt", "In the beginning", "--max-new-tokens", "8"],
                        cwd=tmp_path))  # fmt: skip
    assert result.stdout.startswith("In the beginning") and len(result.stdout.strip()) > len("In the beginning")
