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


class InverseSqrtLR(LambdaLR):
    """The 2017 paper's schedule: linear warm-up to the base LR over ``warmup_steps``, then
    decay with the inverse square root of the step.

    The paper's ``lrate = d_model**-0.5 * min(step**-0.5, step * warmup**-1.5)`` is this with
    base LR ``d_model**-0.5 * warmup**-0.5`` (the peak, reached at ``warmup_steps``: 7.0e-4 for
    d_model 512 and 4,000 steps). It does not depend on the run's length, so ``total_steps``
    is accepted (the factory signature every schedule shares) and unused.

    Args:
        optimizer: the optimiser whose learning rates are scheduled.
        total_steps: unused.
        warmup_steps: steps of linear warm-up (the paper: 4,000).
    """

    def __init__(self, optimizer: Optimizer, total_steps: int = 0, warmup_steps: int = 4000) -> None:
        if warmup_steps < 1:
            raise ValueError(f"warmup_steps must be >= 1, got {warmup_steps}")
        self.warmup_steps = warmup_steps
        super().__init__(optimizer, self.lr_factor)

    def lr_factor(self, step: int) -> float:
        step = step + 1  # the paper counts from 1
        return min(step / self.warmup_steps, math.sqrt(self.warmup_steps / step))


class LinearDecayLR(LambdaLR):
    """word2vec's schedule: the base LR falls linearly to ``min_lr_ratio`` x base over the run
    (word2vec and gensim: 0.025 -> 0.0001, a ratio of 0.004), no warm-up.

    Args:
        optimizer: the optimiser whose learning rates are scheduled.
        total_steps: optimiser steps in the whole run.
        min_lr_ratio: final LR as a fraction of the base LR.
    """

    def __init__(self, optimizer: Optimizer, total_steps: int, min_lr_ratio: float = 0.004) -> None:
        self.min_lr_ratio = min_lr_ratio
        self.set_total_steps(total_steps)
        super().__init__(optimizer, self.lr_factor)

    def set_total_steps(self, total_steps: int) -> None:
        """Re-time the schedule to end at ``total_steps`` (``zoo.callbacks.TrainingBudget``)."""
        self.total_steps = max(1, int(total_steps))

    def lr_factor(self, step: int) -> float:
        return max(self.min_lr_ratio, 1 - (1 - self.min_lr_ratio) * step / self.total_steps)
