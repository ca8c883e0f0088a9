"""The language-model datamodule: causal windows, masked sequences, the tokenizer's style."""

import pytest
import torch

from zoo.data.language_modeling import LanguageModelDataModule, windows
from zoo.data.tokenizer import train_bpe
from zoo.errors import ZooError

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "A film of Great charm, and a little too long.",
    "Every frame is a painting; the plot is thin.",
    "The dog sleeps while the fox runs.",
]


class Sentences(LanguageModelDataModule):
    """A corpus of four sentences: what a dataset module gives, in miniature."""

    description = "four sentences"

    def load_texts(self) -> dict[str, list[str]]:
        return {"train": SENTENCES * 10, "val": SENTENCES[:2], "test": SENTENCES[2:]}


def test_windows_are_inputs_and_targets_shifted_by_one():
    dataset = windows(torch.arange(11), seq_len=3)
    assert dataset.fields["input_ids"].tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert dataset.fields["target_ids"].tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert {name: ids.tolist() for name, ids in dataset[1].items()} == {"input_ids": [3, 4, 5], "target_ids": [4, 5, 6]}
    with pytest.raises(ZooError, match="fewer than seq_len"):
        windows(torch.arange(4), seq_len=4)


def test_causal_batches_are_named_windows():
    data = Sentences("causal", vocab_size=300, seq_len=8, batch_size=2)
    data.setup()
    batch = next(iter(data.val_dataloader()))
    assert list(batch) == ["input_ids", "target_ids"] and batch["input_ids"].shape == (2, 8)
    assert torch.equal(batch["target_ids"][:, :-1], batch["input_ids"][:, 1:])


def test_masked_batches_are_padded_ids_alone():
    data = Sentences("masked", vocab_size=300, seq_len=32, batch_size=4)
    data.setup()
    p = data.preprocessing
    batch = next(iter(data.test_dataloader()))
    assert list(batch) == ["input_ids"]
    ids, expected = batch["input_ids"], [p.load(text) for text in SENTENCES[2:]]
    assert ids.shape == (2, max(map(len, expected))) and len(expected[0]) != len(expected[1])
    assert [row[row != p.pad_id].tolist() for row in ids] == [e.tolist() for e in expected]


def test_unknown_objective_is_refused():
    with pytest.raises(ZooError, match="objective"):
        Sentences(objective="prefix")


def test_a_tokenizer_of_the_wrong_style_is_refused(tmp_path):
    """A causal LM needs <|endoftext|>, a classifier [CLS] ... [SEP]: a swapped tokenizer is one error."""
    encoder = train_bpe(SENTENCES * 5, 300, "encoder")
    encoder.save(str(tmp_path / "tokenizer.json"))
    data = Sentences("causal", tokenizer=str(tmp_path / "tokenizer.json"))
    with pytest.raises(ZooError, match="holds an 'encoder' tokenizer; this data needs a 'causal' one"):
        data.setup()
