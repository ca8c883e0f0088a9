"""The optimiser and schedule every task builds the same way, from recipe factories."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import lightning as L
import torch
from torch import Tensor
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from zoo.tasks.param_groups import apply_lr_scale, weight_decay_groups

OptimizerFactory = Callable[[Iterable], Optimizer]
SchedulerFactory = Callable[[Optimizer, int], LRScheduler]


def default_optimizer(params: Iterable) -> Optimizer:
    """AdamW, lr 1e-3, weight decay 0.05 (on the decayed group)."""
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.05)


def build_optimizers(task: L.LightningModule, layer_decay: float | None = None, extra: Sequence[Tensor] = ()):
    """``task.optimizer`` over the weight-decay groups of ``task.model`` (with layer-wise
    learning rates under ``layer_decay``, see :func:`weight_decay_groups`) and the task's own
    ``extra`` parameters (undecayed: a learned temperature), with ``task.lr_scheduler`` (if any)
    stepped every optimiser step: what ``configure_optimizers`` returns."""
    groups = weight_decay_groups(task.model, layer_decay)
    if extra:
        groups.append({"params": list(extra), "weight_decay": 0.0})
    optimizer = task.optimizer(groups)
    apply_lr_scale(optimizer)
    if task.lr_scheduler is None:
        return optimizer
    scheduler = task.lr_scheduler(optimizer, task.trainer.estimated_stepping_batches)
    return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
