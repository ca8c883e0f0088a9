"""What every task shares: one ``_step(batch, stage)`` behind Lightning's step hooks, the
optimiser built the one way, and masks that are new in training but the same every epoch in
validation and test."""

from __future__ import annotations

import lightning as L
import torch
from torch import Tensor

from zoo.data.batch import Batch
from zoo.tasks.optim import build_optimizers


class StagedTask(L.LightningModule):
    """A task whose training, validation and test steps are ``_step(batch, "train" | "val" |
    "test")``, with ``optimizer`` and ``lr_scheduler`` factories (``build_optimizers``) and,
    where a task sets it, ``layer_decay`` (layer-wise learning rates)."""

    layer_decay: float | None = None

    def _step(self, batch: Batch, stage: str) -> Tensor:
        raise NotImplementedError

    def training_step(self, batch: Batch, batch_idx: int) -> Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch: Batch, batch_idx: int) -> Tensor:
        return self._step(batch, "val")

    def test_step(self, batch: Batch, batch_idx: int) -> Tensor:
        return self._step(batch, "test")

    def configure_optimizers(self):
        return build_optimizers(self, self.layer_decay)


class SeededEvalMasks:
    """For a task that draws random masks (masked-LM, MAE): training draws new ones every
    step; validation and test draw the same ones every epoch (seeded by the batch index), so
    their losses compare across epochs. Put it before the LightningModule in the bases."""

    _eval_batch = 0

    def on_validation_epoch_start(self) -> None:
        self._eval_batch = 0

    def on_test_epoch_start(self) -> None:
        self._eval_batch = 0

    def mask_generator(self, device: torch.device, stage: str) -> torch.Generator | None:
        """None in training (the global generator); else one seeded by the batch's index."""
        if stage == "train":
            return None
        generator = torch.Generator(device).manual_seed(self._eval_batch)
        self._eval_batch += 1
        return generator
