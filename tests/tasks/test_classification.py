"""ClassificationTask: loss falls, metrics are named and computed right, optimiser comes from outside."""

import lightning as L
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from zoo.data.arrays import FieldsDataset
from zoo.errors import ZooError
from zoo.tasks import ClassificationTask, WarmupCosineLR


def _toy_loader(n: int = 64) -> DataLoader:
    """Batches {"audio": (16, 8) "waveforms", "label": (16,)} of 4 separable classes."""
    torch.manual_seed(0)
    x = torch.randn(n, 8)
    y = (x[:, 0] > 0).long() + 2 * (x[:, 1] > 0).long()
    return DataLoader(FieldsDataset({"audio": x, "label": y}), batch_size=16)


def _trainer(**kwargs) -> L.Trainer:
    return L.Trainer(
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        **kwargs,
    )


def test_loss_falls_and_metrics_are_logged_under_stage_names():
    task = ClassificationTask(
        nn.Linear(8, 4),
        num_classes=4,
        optimizer=lambda p: torch.optim.SGD(p, lr=0.5),
        lr_scheduler=lambda opt, total: WarmupCosineLR(opt, total, warmup_fraction=0.0),
    )
    trainer = _trainer(max_epochs=1)
    before = trainer.test(task, _toy_loader(), verbose=False)[0]
    trainer = _trainer(max_epochs=15)
    trainer.fit(task, _toy_loader(), _toy_loader())
    assert {"train/loss", "train/acc", "val/loss", "val/acc", "val/f1_macro"} <= set(trainer.callback_metrics)
    after = trainer.test(task, _toy_loader(), verbose=False)[0]
    assert set(after) == {"test/loss", "test/acc", "test/f1_macro"}  # no top-5 with 4 classes
    assert after["test/loss"] < 0.5 * before["test/loss"] and after["test/acc"] > 0.9


def test_confusion_matrix_counts_every_test_sample():
    task = ClassificationTask(nn.Linear(8, 4), num_classes=4)
    _trainer().test(task, _toy_loader(), verbose=False)
    assert task.confusion_matrix.shape == (4, 4) and task.confusion_matrix.sum() == 64


def test_metrics_match_a_hand_count():
    task = ClassificationTask(nn.Identity(), num_classes=6)
    # predicts 0,1,2,3,4,5,0,0; below the winner, class 0 ranks highest and class 5 lowest
    logits = torch.eye(6)[[0, 1, 2, 3, 4, 5, 0, 0]] * 5 - 0.1 * torch.arange(6.0)
    labels = torch.tensor([0, 1, 2, 3, 4, 5, 1, 2])
    loader = DataLoader(FieldsDataset({"image": logits, "label": labels}), batch_size=4)
    result = _trainer().test(task, loader, verbose=False)[0]
    assert result["test/acc"] == 0.75
    assert result["test/acc_top5"] == 1.0  # classes 1 and 2 rank 2nd and 3rd where 0 wins
    assert task.confusion_matrix[1, 0] == 1 and task.confusion_matrix[2, 0] == 1


def test_predict_reads_the_input_field_by_name_and_gives_probabilities():
    task = ClassificationTask(nn.Identity(), num_classes=3)
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 5.0]])
    probs = task.predict_step({"input_ids": logits}, 0)  # no label needed to predict
    torch.testing.assert_close(probs, logits.softmax(dim=-1))


def test_a_batch_without_its_label_or_input_is_a_one_line_error():
    task = ClassificationTask(nn.Identity(), num_classes=3)
    with pytest.raises(ZooError, match="classification needs the batch field 'label'; the batch has image"):
        task.training_step({"image": torch.zeros(2, 3)}, 0)
    with pytest.raises(ZooError, match="exactly one of the fields image, audio, video, input_ids; the batch has text, label"):
        task.training_step({"text": torch.zeros(2, 3), "label": torch.zeros(2, dtype=torch.long)}, 0)
