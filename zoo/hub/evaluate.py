"""Measure a loaded checkpoint on a datamodule's test split, as ``zoo run`` measured it."""

from __future__ import annotations

import lightning as L

from zoo.hub.pretrained import Pretrained
from zoo.tasks.classification import ClassificationTask


def evaluate(pretrained: Pretrained, datamodule: L.LightningDataModule, precision: str = "32-true") -> dict[str, float]:
    """Test metrics (``test/acc``, ``test/f1_macro``, ...) of ``pretrained`` on ``datamodule``.

    Use the ``precision`` recorded in the checkpoint's metrics to reproduce them exactly.
    """
    task = ClassificationTask(pretrained.model, num_classes=len(pretrained.labels))
    trainer = L.Trainer(
        accelerator="cpu",
        devices=1,
        precision=precision,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
    )
    return {name: float(value) for name, value in trainer.test(task, datamodule=datamodule, verbose=False)[0].items()}
