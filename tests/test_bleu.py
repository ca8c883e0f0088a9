"""BLEU: the seed lecture's worked examples at sentence level, and corpus BLEU as sacreBLEU gives it."""

import math

import pytest

from zoo.bleu import corpus_bleu, sentence_bleu
from zoo.errors import ZooError

GUARD = "The guard arrived late because of the rain"
GUARD_REFERENCE = "The guard arrived late because it was raining"


def test_repeated_words_are_clipped_to_their_count_in_a_reference():
    score = sentence_bleu("He He He eats tasty fruit", ["He eats a sweet apple", "He is eating a tasty apple"],
                          lowercase=True)  # fmt: skip
    assert (score.counts[0], score.totals[0]) == (3, 6)  # "he" counts once, "eats", "tasty": 3/6
    assert score.precisions[0] == pytest.approx(50.0)


def test_the_guard_sentence_gives_the_lectures_precisions_and_bleu_1_to_4():
    score = sentence_bleu(GUARD, [GUARD_REFERENCE])
    assert list(zip(score.counts, score.totals)) == [(5, 8), (4, 7), (3, 6), (2, 5)]  # the slide's 5/6 is a typo
    assert score.brevity_penalty == 1.0  # c = r = 8
    precisions = [5 / 8, 4 / 7, 3 / 6, 2 / 5]
    for n in (1, 2, 3, 4):
        expected = math.prod(precisions[:n]) ** (1 / n)
        assert sentence_bleu(GUARD, [GUARD_REFERENCE], max_order=n).score / 100 == pytest.approx(expected)
    assert score.score / 100 == pytest.approx(0.517, abs=5e-4)


def test_corpus_bleu_is_sacrebleus_with_its_signature_and_several_references():
    import sacrebleu

    hypotheses = ["the cat sat on the mat", "a dog runs in the park", "he reads the book"]
    first = ["the cat is on the mat", "a dog is running in the park", "he is reading a book"]
    second = ["there is a cat on the mat", "the dog runs through the park", "he reads a book"]
    ours = corpus_bleu(hypotheses, list(zip(first, second)))
    theirs = sacrebleu.corpus_bleu(hypotheses, [first, second])
    assert ours.score == pytest.approx(theirs.score) and ours.score > 0
    assert ours.signature.startswith("nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:")
    assert str(ours).startswith(f"BLEU {ours.score:.2f} (nrefs:2")
    assert corpus_bleu(hypotheses, first).score == pytest.approx(sacrebleu.corpus_bleu(hypotheses, [first]).score)


def test_mismatched_inputs_are_one_line():
    with pytest.raises(ZooError, match="2 hypotheses but 1 references"):
        corpus_bleu(["a b", "c d"], ["a b"])
    with pytest.raises(ZooError, match="the same number of references"):
        corpus_bleu(["a b", "c d"], [["a b"], ["c d", "c e"]])
