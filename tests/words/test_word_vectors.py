"""Word-vector queries and benchmarks agree with gensim's on the same vectors."""

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from zoo.data.preprocessing.words import words_of
from zoo.datasets.web_bible import load_splits
from zoo.errors import ZooError
from zoo.word_vectors import WordVectors, average_ranks, spearman

gensim = pytest.importorskip("gensim")
from gensim.models import KeyedVectors, Word2Vec
from gensim.test.utils import datapath


@pytest.fixture(scope="module")
def trained():
    """gensim's skip-gram on Genesis: vectors with some structure to test on, and their twin."""
    sentences = [words_of(v) for chapter in load_splits("embedded")["train"] for v in chapter]
    model = Word2Vec(sentences, vector_size=32, window=5, min_count=2, sg=1, epochs=5, workers=1, seed=1)
    return WordVectors(model.wv.index_to_key, torch.tensor(model.wv.vectors)), model.wv


def test_spearman_averages_tied_ranks_as_scipy_does():
    x = torch.tensor([1.0, 2.0, 2.0, 3.0, 5.0, 5.0, 5.0])
    y = torch.tensor([0.3, 0.1, 0.4, 0.4, 0.9, 0.2, 0.8])
    assert average_ranks(x).tolist() == [1.0, 2.5, 2.5, 4.0, 6.0, 6.0, 6.0]
    assert spearman(x, y) == pytest.approx(spearmanr(x.numpy(), y.numpy()).statistic, abs=1e-12)


def test_neighbours_and_analogies_match_gensims_most_similar(trained):
    ours, theirs = trained
    got = ours.neighbours("god", 5)
    expected = theirs.most_similar("god", topn=5)
    assert [w for w, _ in got] == [w for w, _ in expected]
    assert np.allclose([s for _, s in got], [s for _, s in expected], atol=1e-5)
    got = ours.analogy("man", "woman", "son", 3)
    expected = theirs.most_similar(positive=["woman", "son"], negative=["man"], topn=3)
    assert [w for w, _ in got] == [w for w, _ in expected]
    assert ours.similarity("Abraham", "isaac") == pytest.approx(float(theirs.similarity("abraham", "isaac")), abs=1e-6)


def test_benchmarks_equal_gensims_evaluations(trained):
    ours, theirs = trained
    results = ours.evaluate()
    score, sections = theirs.evaluate_word_analogies(datapath("questions-words.txt"))
    total = sections[-1]
    assert total["section"] == "Total accuracy" and len(total["correct"]) > 0
    assert results["analogy_acc"] == pytest.approx(score, abs=1e-7)  # a float32 mean
    assert results["analogy_coverage"] == pytest.approx((len(total["correct"]) + len(total["incorrect"])) / 19544)
    for name, file in (("wordsim353", "wordsim353.tsv"), ("simlex999", "simlex999.txt")):
        _, (rho, _), oov = theirs.evaluate_word_pairs(datapath(file))
        assert results[f"{name}_spearman"] == pytest.approx(rho, abs=1e-9)
        assert results[f"{name}_coverage"] == pytest.approx(1 - oov / 100, abs=1e-9)


def test_word2vec_text_format_round_trips_with_gensim(trained, tmp_path):
    ours, theirs = trained
    path = ours.save(tmp_path / "vectors.txt")
    loaded = KeyedVectors.load_word2vec_format(str(path), binary=False)
    assert loaded.index_to_key == ours.words
    assert np.allclose(loaded.vectors, ours.vectors.numpy(), atol=1e-5)
    theirs.save_word2vec_format(str(tmp_path / "gensim.txt"), binary=False)
    back = WordVectors.load(tmp_path / "gensim.txt")
    assert back.words == theirs.index_to_key and torch.allclose(back.vectors, torch.tensor(theirs.vectors), atol=1e-5)
    assert not list(tmp_path.glob(".*.tmp"))


def test_bad_vector_files_and_unknown_words_are_one_clear_error(trained, tmp_path):
    ours, _ = trained
    with pytest.raises(ZooError, match="'zzyzx' is not in the vocabulary"):
        ours.neighbours("zzyzx")
    (tmp_path / "bad.txt").write_text("2 3\nthe 1 2 3\n")
    with pytest.raises(ZooError, match="announces 2 words of 3 numbers"):
        WordVectors.load(tmp_path / "bad.txt")
    (tmp_path / "image.txt").write_text("not a header\n")
    with pytest.raises(ZooError, match="'count dimension' line"):
        WordVectors.load(tmp_path / "image.txt")
