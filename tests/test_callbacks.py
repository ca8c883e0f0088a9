"""zoo.callbacks: the training budget, a floor of steps, and frozen layers that do not change at all."""

from functools import partial

import lightning as L
import pytest
import torch

from zoo.baselines.resnet import CifarResNet
from zoo.callbacks import MinSteps, TrainingBudget
from zoo.datasets.fashion_mnist import FashionMNISTDataModule
from zoo.tasks.classification import ClassificationTask
from zoo.tasks.schedules import WarmupCosineLR

STEPS_PER_EPOCH = 5


def _fit(callback: L.Callback, max_epochs: int = 4) -> tuple[L.Trainer, ClassificationTask]:
    torch.manual_seed(0)
    task = ClassificationTask(
        CifarResNet(10, in_chans=1, widths=(8, 16), depths=(1, 1)),
        num_classes=10,
        lr_scheduler=partial(WarmupCosineLR, warmup_fraction=0.2),
    )
    trainer = L.Trainer(
        max_epochs=max_epochs,
        limit_train_batches=STEPS_PER_EPOCH,
        limit_val_batches=1,
        callbacks=[callback],
        accelerator="cpu",
        precision="32-true",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(task, datamodule=FashionMNISTDataModule(batch_size=16))
    return trainer, task


def test_a_budget_too_small_for_the_epochs_trains_fewer_on_a_schedule_that_ends_with_them():
    trainer, _ = _fit(TrainingBudget(train_seconds=1e-6, calibration_steps=3, skip_steps=1))
    assert trainer.current_epoch == 1 and trainer.global_step == STEPS_PER_EPOCH
    schedule = trainer.lr_scheduler_configs[0].scheduler
    assert schedule.total_steps == STEPS_PER_EPOCH and schedule.warmup_steps == 1  # re-timed to the new end
    assert schedule.get_last_lr()[0] == pytest.approx(0.0, abs=1e-12)  # decayed to its minimum


def test_a_budget_that_fits_keeps_the_recipes_epochs():
    budget = TrainingBudget(train_seconds=1e6, calibration_steps=3, skip_steps=1)
    trainer, _ = _fit(budget, max_epochs=2)
    assert trainer.current_epoch == 2 and budget.epochs == 2
    assert budget.metrics() == {"budget_train_seconds": 1e6, "budget_epochs": 2}


def test_min_steps_adds_epochs_to_small_data_on_a_schedule_that_ends_with_them():
    trainer, _ = _fit(MinSteps(12), max_epochs=1)
    assert trainer.current_epoch == 3 and trainer.global_step == 3 * STEPS_PER_EPOCH  # ceil(12 / 5) epochs
    schedule = trainer.lr_scheduler_configs[0].scheduler
    assert schedule.total_steps == 3 * STEPS_PER_EPOCH
    assert schedule.get_last_lr()[0] == pytest.approx(0.0, abs=1e-12)


def test_min_steps_keeps_the_epochs_that_already_give_as_many():
    trainer, _ = _fit(MinSteps(STEPS_PER_EPOCH), max_epochs=2)
    assert trainer.current_epoch == 2 and trainer.global_step == 2 * STEPS_PER_EPOCH
    with pytest.raises(ValueError, match="min_steps >= 1"):
        MinSteps(0)


def test_budget_arguments_are_checked():
    with pytest.raises(ValueError, match="calibration_steps > skip_steps"):
        TrainingBudget(train_seconds=10, calibration_steps=5, skip_steps=5)


def test_a_machine_that_slows_down_after_calibration_trains_fewer_epochs():
    from types import SimpleNamespace

    from zoo.callbacks import TrainClock

    clock = TrainClock()
    clock.seconds = 30.0  # the first epoch took 30 s of a 60 s budget: one more fits, not three
    budget = TrainingBudget(train_seconds=60, calibration_steps=3, skip_steps=1)
    budget.epochs = 4  # what calibration decided
    schedule = SimpleNamespace(set_total_steps=lambda n: setattr(schedule, "total", n))
    trainer = SimpleNamespace(
        callbacks=[budget, clock], current_epoch=0, max_epochs=4, fit_loop=SimpleNamespace(max_epochs=4),
        lr_scheduler_configs=[SimpleNamespace(scheduler=schedule)], num_training_batches=10, accumulate_grad_batches=1,
        lightning_module=SimpleNamespace(automatic_optimization=True),
    )  # fmt: skip
    budget.on_train_epoch_end(trainer, None)
    assert budget.epochs == trainer.fit_loop.max_epochs == 2 and schedule.total == 20
