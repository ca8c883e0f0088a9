"""Skip-gram and CBOW: the scores word2vec defines, a loss that falls, and the whole path from
``zoo run`` to ``zoo analogy``."""

import json

import lightning as L
import pytest
import torch
import torch.nn.functional as F

import zoo
from tests.conftest import ROOT, error_line
from zoo.datasets.web_bible import WebBibleWordsDataModule
from zoo.errors import ZooError
from zoo.models.word2vec import CBOW, SkipGram
from zoo.pipeline.evaluate import evaluate, held_out_data
from zoo.tasks.word_embedding import WordEmbeddingTask, negative_sampling_loss

pytest.importorskip("gensim")  # the test step's word benchmarks
RECIPE = ROOT / "recipes" / "words" / "word2vec_skipgram_web_bible.yaml"


def batch(B=3, W=2, K=4, V=20):
    g = torch.Generator().manual_seed(0)
    mask = torch.rand(B, 2 * W, generator=g) > 0.3
    mask[:, 0] = True
    return {
        "centers": torch.randint(V, (B,), generator=g),
        "contexts": torch.randint(V, (B, 2 * W), generator=g),
        "context_mask": mask,
        "negatives": torch.randint(V, (B, 2 * W, K), generator=g),
    }


def randomised(model):
    torch.nn.init.normal_(model.out_embed.weight)
    torch.nn.init.normal_(model.in_embed.weight)
    return model.requires_grad_(False)


def test_skipgram_scores_each_context_word_and_its_negatives_against_the_centre():
    model, b = randomised(SkipGram(20, 8)), batch()
    scores, mask = model(b["centers"], b["contexts"], b["context_mask"], b["negatives"])
    assert scores.shape == (3, 4, 5) and torch.equal(mask, b["context_mask"])
    i, j, k = 1, 2, 3
    centre = model.in_embed.weight[b["centers"][i]]
    assert scores[i, j, 0] == pytest.approx(float(centre @ model.out_embed.weight[b["contexts"][i, j]]), abs=1e-5)
    assert scores[i, j, k + 1] == pytest.approx(
        float(centre @ model.out_embed.weight[b["negatives"][i, j, k]]), abs=1e-5
    )


def test_cbow_scores_the_centre_against_the_mean_of_the_present_context():
    model, b = randomised(CBOW(20, 8)), batch()
    scores, mask = model(b["centers"], b["contexts"], b["context_mask"], b["negatives"])
    assert scores.shape == (3, 1, 5) and mask.all()
    i = 2
    mean = model.in_embed.weight[b["contexts"][i][b["context_mask"][i]]].mean(0)
    assert scores[i, 0, 0] == pytest.approx(float(mean @ model.out_embed.weight[b["centers"][i]]), abs=1e-5)
    assert scores[i, 0, 1] == pytest.approx(float(mean @ model.out_embed.weight[b["negatives"][i, 0, 0]]), abs=1e-5)


def test_the_loss_is_word2vecs_log_sigmoid_of_the_true_word_and_the_noise():
    scores = torch.randn(2, 3, 4)
    mask = torch.tensor([[True, False, True], [True, True, False]])
    loss, rows = negative_sampling_loss(scores, mask)
    per_row = -F.logsigmoid(scores[..., 0]) - F.logsigmoid(-scores[..., 1:]).sum(-1)
    assert rows == 4 and loss == pytest.approx(float(per_row[mask].mean()), abs=1e-6)


@pytest.mark.parametrize("architecture", [SkipGram, CBOW])
def test_training_lowers_the_held_out_loss(architecture):
    L.seed_everything(0)
    data = WebBibleWordsDataModule("embedded", min_count=5, batch_size=512, benchmarks=())
    data.setup()
    task = WordEmbeddingTask(architecture(len(data.preprocessing), 32), optimizer=lambda p: torch.optim.Adam(p, 0.01))
    # inference_mode=False: validate's inference tensors would be the metric states that fit updates
    trainer = L.Trainer(
        max_epochs=2, logger=False, enable_checkpointing=False, enable_progress_bar=False, inference_mode=False
    )
    before = trainer.validate(task, data, verbose=False)[0]["val/loss"]
    trainer.fit(task, data)
    after = trainer.validate(task, data, verbose=False)[0]["val/loss"]
    assert before == pytest.approx(6 * torch.log(torch.tensor(2.0)).item(), abs=0.01)  # untrained: 1 + K coin flips
    assert after < before - 0.5


def test_a_model_sized_for_another_vocabulary_is_one_clear_error():
    data = WebBibleWordsDataModule("embedded", min_count=5)
    trainer = L.Trainer(max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False)
    with pytest.raises(ZooError, match="set the model's vocab_size to 706"):
        trainer.fit(WordEmbeddingTask(SkipGram(5777, 8)), data)


def test_zoo_run_ships_vectors_that_the_commands_query(in_tmp, capsys):
    overrides = [
        "--data.init_args.variant=embedded",
        "--model.init_args.model.init_args.vocab_size=706",
        "--model.init_args.model.init_args.embed_dim=32",
        "--trainer.max_epochs=2",
    ]
    metrics = zoo.run(RECIPE, output=in_tmp / "run", overrides=overrides)
    assert 0 < metrics["test/analogy_coverage"] < 0.05 and metrics["test/loss"] < 6 * 0.6931
    checkpoint = in_tmp / "run" / "checkpoint"
    card = json.loads((checkpoint / "metrics.json").read_text())
    assert card["test/analogy_acc"] == metrics["test/analogy_acc"]
    model = zoo.load(checkpoint)
    measured = evaluate(model, held_out_data(model))
    assert measured["test/analogy_acc"] == pytest.approx(metrics["test/analogy_acc"], abs=1e-6)  # 6 decimals
    assert measured["test/loss"] == pytest.approx(metrics["test/loss"], rel=1e-4)

    from zoo.commands import main

    capsys.readouterr()
    main(["neighbours", str(checkpoint), "God", "--topn", "3"])
    assert capsys.readouterr().out.startswith("God: ")
    main(["analogy", str(checkpoint), "man", "woman", "king"])
    assert capsys.readouterr().out.startswith("man is to woman as king is to: ")
    main(["vectors", str(checkpoint), "--output", str(in_tmp / "vectors.txt")])
    assert (in_tmp / "vectors.txt").read_text().startswith("706 32\n")
    assert "'unicorn' is not in the vocabulary of 706 words" in error_line(
        ["neighbours", str(checkpoint), "unicorn"], capsys
    )
    assert "word vectors come from a word-embedding model" in error_line(
        ["analogy", "vit-tiny-fashion-mnist", "a", "b", "c"], capsys
    )
