"""The English pretraining corpus: each source's text extraction, the held-out rule, the data module."""

import json

import pytest
import torch

from zoo.datasets import english_corpus as corpus
from zoo.errors import ZooError


def test_brown_tokens_become_plain_text_with_quotes_and_spacing_restored():
    tagged = "The/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, it/pps didn't/dod* go/vb ./."
    assert corpus.brown_text(tagged) == 'The jury said "no evidence", it didn\'t go.'


def test_brown_needs_all_500_samples(tmp_path):
    (tmp_path / "ca01").write_text("The/at jury/nn ./.\n")
    with pytest.raises(ZooError, match="holds 1 Brown samples, not 500"):
        list(corpus.brown(tmp_path))


def test_rst_keeps_prose_and_drops_code_directives_and_headings():
    source = """Control Flow
============

Besides the :keyword:`while` statement, Python uses ``if`` and *other*
statements, see :ref:`the tutorial <tut-if>`::

   >>> x = 1

.. note::
   An indented directive body.

A second paragraph."""
    assert list(corpus.rst_paragraphs(source)) == [
        "Besides the while statement, Python uses if and other statements, see the tutorial:",
        "A second paragraph.",
    ]


def test_html_paragraphs_of_both_manual_styles(tmp_path):
    (tmp_path / "a.html").write_text('<p class="x">One <b>bold</b> &amp; plain.</p><div class="para">Two</div>')
    assert [text for _, text in corpus.html_paragraphs(tmp_path, "*.html")] == ["One bold & plain.", "Two"]


def test_held_out_documents_are_fixed_and_about_one_percent_each():
    splits = [corpus.split_of("brown", f"c{i:04d}") for i in range(5000)]
    assert 25 < splits.count("val") < 75 and 25 < splits.count("test") < 75
    # pinned: a change of the rule would move the held-out text of every corpus checkpoint
    assert [corpus.split_of("brown", doc) for doc in ("ca01", "c0013", "c0057")] == ["train", "test", "val"]


def test_the_embedded_test_passages_ship_from_licensed_sources_only():
    rows = corpus.read_passages("embedded")
    assert len(rows) > 200 and {r["split"] for r in rows} == {"test"}
    assert {r["source"] for r in rows} <= set(corpus.EMBEDDABLE)


def test_missing_sources_are_reported_and_the_rest_prepared(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA", str(tmp_path))

    def absent(folder):
        raise ZooError("not here")

    monkeypatch.setattr(corpus, "SOURCES", {
        "bible": (lambda: iter([("Gen 1", "In the beginning God created the heavens and the earth.")]), "apt"),
        "brown": (absent, "npm"),
        "short": (lambda: iter([("d", "Too short.")]), "x"),
    })  # fmt: skip
    found, missing = corpus.passages(tmp_path)
    assert [text for _, _, text in found] == ["In the beginning God created the heavens and the earth."]
    assert missing == ["brown: not here (npm)"]
    path = corpus.prepare(tmp_path)
    row = json.loads(path.read_text())
    assert row["source"] == "bible" and row["split"] == corpus.split_of("bible", "Gen 1")
    assert corpus.statistics(corpus.read_passages())["total"] == {"passages": 1, "words": 10}


def test_an_unprepared_corpus_names_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA", str(tmp_path))
    with pytest.raises(ZooError, match="zoo data prepare english-corpus"):
        corpus.read_passages()


def test_the_data_module_serves_masked_lm_batches_with_a_cased_tokenizer(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA", str(tmp_path))
    words = "Alpha beta Gamma delta epsilon zeta Eta theta iota kappa".split()
    rows = [
        {"source": "s", "doc": str(i), "split": ("train", "val", "test")[i % 3], "text": " ".join(words[i % 10 :] + words)}
        for i in range(60)
    ]
    corpus.full_path().parent.mkdir(parents=True)
    corpus.full_path().write_text("".join(json.dumps(r) + "\n" for r in rows))
    data = corpus.EnglishCorpusDataModule(vocab_size=300, seq_len=16, batch_size=4)
    data.setup("fit")
    batch = next(iter(data.train_dataloader()))
    assert batch["input_ids"].shape[0] == 4 and batch["input_ids"].shape[1] <= 16
    tokenizer = data.preprocessing.tokenizer
    assert tokenizer.encode("Alpha").ids != tokenizer.encode("alpha").ids  # cased


def test_the_embedded_test_passages_serve_causal_windows_and_name_the_missing_training_split(tmp_path):
    from zoo.data.tokenizer import train_bpe

    texts = [row["text"] for row in corpus.read_passages("embedded")]
    tokenizer = tmp_path / "tokenizer.json"
    train_bpe(texts, 400, "causal", False).save(str(tokenizer))
    data = corpus.EnglishCorpusDataModule("embedded", "causal", tokenizer=str(tokenizer), seq_len=32, batch_size=4)
    data.setup("test")
    batch = next(iter(data.test_dataloader()))
    assert batch["input_ids"].shape == batch["target_ids"].shape == (4, 32)
    assert torch.equal(batch["input_ids"][:, 1:], batch["target_ids"][:, :-1])
    with pytest.raises(ZooError, match="this data has no train split \\(it holds test\\)"):
        data.train_dataloader()
