"""Batches of named fields: the model's input by name, padding collate, in-memory datasets."""

import pytest
import torch

from zoo.data.arrays import FieldsDataset
from zoo.data.batch import collate, model_input
from zoo.errors import ZooError


@pytest.mark.parametrize("name", ["image", "audio", "input_ids"])
def test_the_model_input_is_the_one_input_field_whatever_else_the_batch_holds(name):
    x = torch.randn(2, 5)
    assert model_input({"label": torch.tensor([0, 1]), name: x}) is x


def test_no_input_field_or_two_are_one_line_errors():
    with pytest.raises(ZooError, match=r"exactly one of the fields image, audio, video, input_ids; the batch has label"):
        model_input({"label": torch.tensor([0])})
    with pytest.raises(ZooError, match=r"the batch has image, audio"):
        model_input({"image": torch.zeros(1, 1, 2, 2), "audio": torch.zeros(1, 4)})


def test_collate_pads_the_named_fields_and_stacks_the_rest_in_example_order():
    examples = [
        {"input_ids": torch.tensor([5, 6, 7]), "label": 1, "image": torch.zeros(1, 2, 2)},
        {"input_ids": torch.tensor([8]), "label": 0, "image": torch.ones(1, 2, 2)},
    ]
    batch = collate(examples, padding={"input_ids": 0})
    assert list(batch) == ["input_ids", "label", "image"]
    assert batch["input_ids"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert batch["label"].tolist() == [1, 0] and batch["label"].dtype == torch.int64
    assert batch["image"].shape == (2, 1, 2, 2)


def test_a_fields_dataset_gives_example_i_of_every_field():
    data = FieldsDataset({"audio": [torch.ones(3), torch.ones(5)], "label": torch.tensor([4, 2])})
    assert len(data) == 2 and data[1]["audio"].shape == (5,) and int(data[1]["label"]) == 2
    with pytest.raises(ValueError, match="different lengths"):
        FieldsDataset({"audio": [torch.ones(3)], "label": torch.tensor([4, 2])})
