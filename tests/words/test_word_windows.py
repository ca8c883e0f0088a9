"""The skip-gram / CBOW examples: windows inside sentences, word2vec's subsampling and noise."""

import pytest
import torch

from zoo.data.preprocessing.words import WordPreprocessing, from_dict, words_of
from zoo.data.word_windows import WordWindows, context_windows
from zoo.datasets.web_bible import WebBibleWordsDataModule, load_splits
from zoo.errors import ZooError

gensim = pytest.importorskip("gensim")


def genesis_sentences() -> list[list[str]]:
    return [words_of(verse) for chapter in load_splits("embedded")["train"] for verse in chapter]


def test_words_are_lowercased_runs_of_letters():
    assert words_of("God's Spirit, 7 days; re-made") == ["god", "s", "spirit", "days", "re", "made"]


def test_windows_stay_inside_sentences_and_within_reach():
    ids = torch.tensor([10, 11, 12, 13, 20, 21])
    sentence = torch.tensor([0, 0, 0, 0, 1, 1])
    centers, contexts, mask = context_windows(ids, sentence, window=2)
    assert centers.tolist() == ids.tolist()
    # slots -2, -1, +1, +2
    assert contexts[1][mask[1]].tolist() == [10, 12, 13]
    assert contexts[4][mask[4]].tolist() == [21]  # 13 is in the sentence before
    reach = torch.tensor([1, 1, 2, 1, 1, 1])
    _, contexts, mask = context_windows(ids, sentence, 2, reach)
    assert contexts[0][mask[0]].tolist() == [11]
    assert contexts[2][mask[2]].tolist() == [10, 11, 13]
    lonely = context_windows(torch.tensor([5, 6]), torch.tensor([0, 1]), 2)[0]
    assert len(lonely) == 0  # a one-word sentence has no context


def test_vocabulary_and_subsampling_match_gensims():
    sentences = genesis_sentences()
    ours = WordPreprocessing.build(sentences, min_count=5)
    theirs = gensim.models.Word2Vec(sentences, min_count=5, sample=1e-3, vector_size=8, epochs=1, workers=1)
    assert {w: int(c) for w, c in zip(ours.words, ours.counts)} == {
        w: theirs.wv.get_vecattr(w, "count") for w in theirs.wv.index_to_key
    }
    keep = ours.keep_probabilities(1e-3)
    gensim_keep = torch.tensor([theirs.wv.get_vecattr(w, "sample_int") / 2**32 for w in ours.words])
    assert torch.allclose(keep.double(), gensim_keep.double(), atol=1e-6)
    assert keep.min() < 0.3 and keep[-1] == 1  # "the" is mostly dropped, rare words never


def test_an_epoch_has_its_declared_length_and_new_draws():
    vocabulary = WordPreprocessing.build(genesis_sentences(), min_count=5)
    data = WordWindows(vocabulary, genesis_sentences(), window=3, negatives=4, batch_size=256, sample=1e-3, train=True)
    first, second = list(data), list(data)
    assert len(first) == len(second) == len(data)
    batch = first[0]
    assert batch["contexts"].shape == (256, 6) and batch["negatives"].shape == (256, 6, 4)
    assert not torch.equal(first[0]["centers"], second[0]["centers"])
    held_out = WordWindows(vocabulary, genesis_sentences()[:50], window=3, negatives=4, batch_size=64)
    assert all(torch.equal(a["negatives"], b["negatives"]) for a, b in zip(held_out, held_out))


def test_negatives_follow_the_count_to_the_three_quarters():
    vocabulary = WordPreprocessing(["a", "b", "c"], [81, 16, 1])
    expected = torch.tensor([27.0, 8.0, 1.0]) / 36
    assert torch.allclose(vocabulary.noise_distribution(), expected)
    data = WordWindows(vocabulary, [["a", "b", "a", "c", "a"]] * 400, window=1, negatives=50, batch_size=2000)
    drawn = torch.cat([b["negatives"].flatten() for b in data]).bincount(minlength=3).float()
    assert torch.allclose(drawn / drawn.sum(), expected, atol=0.01)


def test_the_vocabulary_round_trips_through_its_checkpoint_file_and_names_unknown_words():
    vocabulary = WordPreprocessing(["the", "ark"], [10, 2], window=3, negatives=7)
    again = from_dict({k: v for k, v in vocabulary.to_dict().items() if k != "kind"}, vocabulary.files())
    assert again.words == ["the", "ark"] and again.counts.tolist() == [10, 2] and again.window == 3
    assert again.batch(["Ark", "the"]).tolist() == [1, 0]
    with pytest.raises(ZooError, match="'unicorn' is not in the vocabulary of 2 words"):
        again.batch(["unicorn"])
    with pytest.raises(ZooError, match="line 1 is not 'word count'"):
        from_dict({}, {"vocab.txt": "the ten\n"})


def test_the_bible_datamodule_builds_its_vocabulary_from_training_chapters_only():
    data = WebBibleWordsDataModule("embedded", min_count=5, batch_size=128)
    data.setup()
    assert data.preprocessing.words[:3] == ["the", "and", "of"]
    assert {"train", "val", "test"} == set(data.splits)
    assert len(data.preprocessing) == len(WordPreprocessing.build(genesis_sentences(), 5))
