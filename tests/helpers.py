"""Callbacks that tests name in recipes (they run inside a `zoo` subprocess)."""

import os
import signal

from lightning.pytorch.callbacks import Callback


class KillAt(Callback):
    """SIGKILL the process at the start of training batch ``batch`` of epoch ``epoch``: a crash
    mid-epoch, with no chance to clean up."""

    def __init__(self, epoch: int, batch: int) -> None:
        self.epoch, self.batch = epoch, batch

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.current_epoch == self.epoch and batch_idx == self.batch:
            os.kill(os.getpid(), signal.SIGKILL)


class SaveFinalWeights(Callback):
    """Save the task's weights as they are when training ends (not the best ones) to ``path``."""

    def __init__(self, path: str) -> None:
        self.path = path

    def on_train_end(self, trainer, pl_module) -> None:
        import torch

        torch.save({"global_step": trainer.global_step, "state_dict": pl_module.state_dict()}, self.path)
