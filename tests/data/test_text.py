"""Text data: the BPE tokenizer, text preprocessing and a user's text files."""

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
import torch

from zoo.data.preprocessing import preprocessing_from_dict
from zoo.data.preprocessing.text import TextPreprocessing
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
    batch = next(iter(data.val_dataloader()))
    assert list(batch) == ["input_ids", "label"]
    assert batch["input_ids"].shape[0] == 4 and set(batch["label"].tolist()) == {0, 1}


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
