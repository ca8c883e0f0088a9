"""Start training from a zoo checkpoint's weights (pretrain, then fine-tune), as a callback.

trainer:
  callbacks:
    - class_path: zoo.hub.init.InitFromCheckpoint
      init_args: {checkpoint: runs/bert_tiny_mlm_rotten_tomatoes/checkpoint}
"""

from __future__ import annotations

import lightning as L
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.utilities import rank_zero_info
from torch import nn

from zoo.hub.checkpoint import LoadReport, load_weights, read_checkpoint
from zoo.hub.registry import resolve


def init_from_checkpoint(model: nn.Module, name_or_path: str) -> LoadReport:
    """Load a checkpoint's weights into ``model``; the model's ``classifier`` submodule
    (e.g. ``head``) keeps its fresh init, whatever the checkpoint holds there (an LM head).

    Every other tensor must load; the report names what was re-initialised.
    """
    path, sha256 = resolve(name_or_path)
    classifier = getattr(model, "classifier", None)
    reinit = (f"{classifier}.",) if classifier else ()
    return load_weights(model, read_checkpoint(path, sha256).state, reinit)


class InitFromCheckpoint(Callback):
    """Before fitting, load ``checkpoint`` (a name or folder) into the task's ``model``.

    Only when fitting: testing or re-exporting a finished run does not need the pretraining
    checkpoint, and a resumed run restores its own weights over these afterwards.
    """

    def __init__(self, checkpoint: str) -> None:
        self.checkpoint = checkpoint

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if stage == "fit":
            report = init_from_checkpoint(pl_module.model, self.checkpoint)
            rank_zero_info(f"initialised from {self.checkpoint}: {report}")
