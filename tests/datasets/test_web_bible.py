"""The World English Bible: parsing diatheke's export, the chapter split, preparing, LM windows."""

import os
from pathlib import Path

import pytest
import torch

from zoo.datasets import web_bible
from zoo.datasets.web_bible import WebBibleDataModule
from zoo.errors import ZooError

DIATHEKE_SAMPLE = """\
Genesis 1:1: In the beginning, God created the heavens and the earth.
Genesis 1:2: The earth was formless and empty.
I Samuel 1:1: Now there was a certain man of Ramathaim Zophim.
Psalms 2:12: Give sincere homage to the Son,
lest he be angry, and you perish on the way.
  Psalms 3:1: Yahweh, how my adversaries have increased!
   Glossary: words marked with an asterisk are explained at the end.
(engWEB2015eb)
"""


def test_parse_export_joins_poetry_and_drops_the_glossary():
    assert web_bible.parse_export(DIATHEKE_SAMPLE) == [
        ("Genesis", 1, 1, "In the beginning, God created the heavens and the earth."),
        ("Genesis", 1, 2, "The earth was formless and empty."),
        ("I Samuel", 1, 1, "Now there was a certain man of Ramathaim Zophim."),
        ("Psalms", 2, 12, "Give sincere homage to the Son, lest he be angry, and you perish on the way."),
        ("Psalms", 3, 1, "Yahweh, how my adversaries have increased!"),
    ]


def test_embedded_bible_holds_out_chapters_18_and_19_of_every_20():
    """Chapter i (from 0) is val when i % 20 == 18 and test when 19: Genesis 19, 39 and 20, 40."""
    verses = web_bible.read_verses("embedded")
    assert {book for book, *_ in verses} == {"Genesis"}
    assert len(verses) == 1533
    chapters: dict[int, list[str]] = {}
    for _, chapter, _, text in verses:
        chapters.setdefault(chapter, []).append(text)
    assert sorted(chapters) == list(range(1, 51))
    splits = web_bible.load_splits("embedded")
    assert splits["val"] == [chapters[19], chapters[39]]
    assert splits["test"] == [chapters[20], chapters[40]]
    assert splits["train"] == [chapters[c] for c in range(1, 51) if c not in (19, 20, 39, 40)]


@pytest.fixture
def plain_genesis(tmp_path, monkeypatch) -> Path:
    """The embedded Genesis written back as diatheke plain text, with ZOO_DATA in tmp_path."""
    monkeypatch.setenv("ZOO_DATA", str(tmp_path / "data"))
    source = tmp_path / "genesis.txt"
    lines = [f"{b} {c}:{v}: {t}" for b, c, v, t in web_bible.read_verses("embedded")]
    source.write_text("\n".join(lines) + "\n(engWEB2015eb)\n", encoding="utf-8")
    return source


def test_prepare_writes_the_verse_table_that_read_verses_reads(plain_genesis, tmp_path):
    with pytest.raises(ZooError, match="zoo data prepare web-bible"):
        web_bible.read_verses("full")
    path = web_bible.prepare(source=plain_genesis)
    assert path == tmp_path / "data" / "web-bible" / "verses.tsv"
    assert web_bible.read_verses("full") == web_bible.read_verses("embedded")
    assert os.listdir(path.parent) == ["verses.tsv"]  # no temporary file left behind
    assert path.stat().st_mode & 0o777 == 0o644


def test_prepare_never_leaves_half_a_table(plain_genesis, monkeypatch):
    path = web_bible.prepare(source=plain_genesis)
    before = path.read_bytes()

    def crash(verses):
        raise OSError("disk full")

    monkeypatch.setattr(web_bible, "to_tsv", crash)
    with pytest.raises(OSError, match="disk full"):
        web_bible.prepare(source=plain_genesis)
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == ["verses.tsv"]


def test_prepare_refuses_a_too_small_export(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA", str(tmp_path / "data"))
    source = tmp_path / "sample.txt"
    source.write_text(DIATHEKE_SAMPLE)
    with pytest.raises(ZooError, match="found only 5 verses"):
        web_bible.prepare(source=source)
    assert not (tmp_path / "data" / "web-bible" / "verses.tsv").exists()


def test_causal_windows_of_the_bible_chain_without_shuffling():
    data = WebBibleDataModule("embedded", "causal", vocab_size=500, seq_len=32, batch_size=4)
    data.setup("fit")
    assert data.preprocessing.style == "causal"
    inputs, targets = (data.datasets["train"].fields[name] for name in ("input_ids", "target_ids"))
    assert inputs.shape[1] == 32 and len(inputs) > 100
    assert torch.equal(targets[:, :-1], inputs[:, 1:])
    assert torch.equal(targets[:-1, -1], inputs[1:, 0])
    assert inputs.max() < data.preprocessing.vocab_size
    batch = next(iter(data.val_dataloader()))
    assert torch.equal(batch["input_ids"], data.datasets["val"].fields["input_ids"][:4])
    assert torch.equal(batch["target_ids"], data.datasets["val"].fields["target_ids"][:4])


def test_unknown_variant_is_refused():
    with pytest.raises(ZooError, match="web-bible variant must be 'embedded' or 'full'"):
        WebBibleDataModule(variant="genesis")
