"""Learning-rate schedules that need the run's total number of steps."""

from __future__ import annotations

import math

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR


class WarmupCosineLR(LambdaLR):
    """Linear warm-up from 0 to the base LR, then cosine decay to ``min_lr_ratio`` x base.

    Stepped once per optimiser step. The task passes ``total_steps`` (the trainer's
    estimate of its stepping batches), so a recipe gives only fractions.

    Args:
        optimizer: the optimiser whose learning rates are scheduled.
        total_steps: optimiser steps in the whole run.
        warmup_fraction: share of ``total_steps`` spent warming up.
        min_lr_ratio: final LR as a fraction of the base LR.
    """

    def __init__(
        self, optimizer: Optimizer, total_steps: int, warmup_fraction: float = 0.05, min_lr_ratio: float = 0.0
    ) -> None:
        self.warmup_fraction, self.min_lr_ratio = warmup_fraction, min_lr_ratio
        self.set_total_steps(total_steps)
        super().__init__(optimizer, self.lr_factor)

    def set_total_steps(self, total_steps: int) -> None:
        """Re-time the schedule to end at ``total_steps`` (``zoo.callbacks.TrainingBudget``)."""
        self.total_steps = max(1, int(total_steps))
        self.warmup_steps = int(self.warmup_fraction * self.total_steps)

    def lr_factor(self, step: int) -> float:
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        progress = min(1.0, (step - self.warmup_steps) / max(1, self.total_steps - self.warmup_steps))
        return self.min_lr_ratio + (1 - self.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
