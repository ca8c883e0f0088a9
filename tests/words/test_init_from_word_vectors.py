"""A text model's token embedding started from word vectors: whole-word tokens take their word's vector."""

import pytest
import torch
from torch import nn

import zoo
from tests.conftest import ROOT
from zoo.data.tokenizer import train_bpe
from zoo.datasets.web_bible import load_splits
from zoo.errors import ZooError
from zoo.hub.init import init_token_embedding
from zoo.word_vectors import WordVectors

GENESIS = [verse for chapter in load_splits("embedded")["train"] for verse in chapter]


def test_whole_word_tokens_take_their_words_vector_rescaled_and_the_rest_keep_their_init():
    tokenizer = train_bpe(GENESIS, 2000, style="causal")
    vectors = WordVectors(["god", "light", "waters", "zebra"], torch.randn(4, 16) * 3)
    embedding = nn.Embedding(2000, 16)
    nn.init.normal_(embedding.weight, std=0.02)
    before = embedding.weight.detach().clone()
    count = init_token_embedding(embedding, tokenizer, vectors)
    god, light = tokenizer.token_to_id("ĠGod"), tokenizer.token_to_id("Ġlight")
    words = [tokenizer.decode([i]) for i in range(2000)]
    expected = [i for i, w in enumerate(words) if w.startswith(" ") and w[1:].lower() in ("god", "light", "waters")]
    assert god in expected and light in expected and count == len(expected)
    assert (
        tokenizer.token_to_id("Ġzebra") is None and tokenizer.token_to_id("light") not in expected
    )  # not a word start
    rows = embedding.weight.detach()
    scale = rows[god].norm() / vectors["god"].norm()
    assert torch.allclose(rows[god], vectors["god"] * scale, atol=1e-6)  # the word lowercased
    assert torch.allclose(rows[light], vectors["light"] * scale, atol=1e-6)  # one scale for all
    changed = (rows != before).any(1)
    assert changed.nonzero().flatten().tolist() == expected
    assert rows[changed].std() == pytest.approx(float(before.std()), rel=0.3)
    with pytest.raises(ZooError, match="the word vectors are 16-d but the token embedding is 8-d"):
        init_token_embedding(nn.Embedding(2000, 8), tokenizer, vectors)


def test_a_recipe_starts_its_gpt_from_the_shipped_bible_vectors(in_tmp):
    pytest.importorskip("gensim")
    recipe = ROOT / "recipes" / "text" / "gpt_tiny_web_bible.yaml"
    model = "--model.init_args.model.init_args"
    overrides = [
        "--data.init_args.variant=embedded",
        "--data.init_args.vocab_size=1000",
        f"{model}.frontend.init_args.vocab_size=1000",
        f"{model}.head.init_args.vocab_size=1000",
        *(f"{model}.{part}.init_args.embed_dim=100" for part in ("frontend", "backbone", "head")),
        f"{model}.backbone.init_args.num_heads=2",
        f"{model}.backbone.init_args.depth=1",
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=2",
        "--trainer.precision=32-true",
        '--trainer.callbacks+={"class_path": "zoo.callbacks.InitFromWordVectors", "init_args": {"vectors": "word2vec-skipgram-web-bible"}}',
    ]
    metrics = zoo.run(recipe, output=in_tmp / "gpt", overrides=overrides)
    assert metrics["init_word_vectors"] == "word2vec-skipgram-web-bible"
    assert 300 < metrics["tokens_from_word_vectors"] < 1000
