"""Lightning callbacks that every zoo run may use: clock, budget, RNG restore, weights, freezing.

``zoo.pipeline.run`` adds :class:`TrainClock` and :class:`RestoreRNG` to every run; recipes
and ``zoo finetune`` name the others. A callback that contributes to a run's
``metrics.json`` offers ``metrics()`` (the :class:`ReportsMetrics` protocol).
"""

from __future__ import annotations

import math
import random
import time
from typing import Protocol, runtime_checkable

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.trainer.states import TrainerFn
from lightning.pytorch.utilities import rank_zero_info
from torch import nn

from zoo.errors import ZooError
from zoo.hub.checkpoint import LoadReport


@runtime_checkable
class ReportsMetrics(Protocol):
    """A callback whose ``metrics()`` go into the run's ``metrics.json`` and card."""

    def metrics(self) -> dict: ...


@runtime_checkable
class RetimableSchedule(Protocol):
    """A learning-rate schedule that can be re-timed to end at another step (``WarmupCosineLR``)."""

    def set_total_steps(self, total_steps: int) -> None: ...


class TrainClock(Callback):
    """Wall time and samples of the training loop alone (validation excluded)."""

    def __init__(self) -> None:
        self.seconds, self.samples, self._start = 0.0, 0, None

    def _resume(self) -> None:
        self._start = time.perf_counter()

    def _pause(self) -> None:
        if self._start is not None:
            self.seconds += time.perf_counter() - self._start
            self._start = None

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self._resume()

    def on_validation_start(self, trainer, pl_module) -> None:
        self._pause()

    def on_validation_end(self, trainer, pl_module) -> None:
        # Lightning sets trainer.training only after validation returns, so ask the state.
        if trainer.state.fn == TrainerFn.FITTING and not trainer.sanity_checking:
            self._resume()

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self._pause()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        first = next(iter(batch.values()))  # every field of a dict batch (zoo.data.batch) has B rows
        self.samples += len(first) * trainer.world_size

    def metrics(self) -> dict:
        return {
            "train_seconds": round(self.seconds, 1),
            "train_samples_per_second": round(self.samples / max(self.seconds, 1e-9), 1),
        }

    def state_dict(self) -> dict:
        """Saved in Lightning checkpoints, so a resumed run reports its whole training time."""
        return {"seconds": self.seconds, "samples": self.samples}

    def load_state_dict(self, state: dict) -> None:
        self.seconds, self.samples = state["seconds"], state["samples"]


class RestoreRNG(Callback):
    """Saves every random generator's state (torch CPU and CUDA, NumPy, Python) in each
    Lightning checkpoint and restores it on resume.

    Lightning restores weights, optimiser, schedule and loop counters but not these, so a
    resumed run shuffled its later epochs differently from an uninterrupted one (measured:
    test loss 0.598937 against 0.596779 after the same 420 steps). With them restored, a
    killed-and-resumed CPU run ends bit-identical to the uninterrupted run. NumPy's state is
    stored as a tensor, so the checkpoint still loads with ``torch.load(weights_only=True)``
    (as ``zoo test --ckpt_path`` loads it).
    """

    def state_dict(self) -> dict:
        name, keys, position, has_gauss, gauss = np.random.get_state()
        numpy = (name, torch.from_numpy(keys.astype(np.int64)), int(position), int(has_gauss), float(gauss))
        state = {"torch": torch.get_rng_state(), "numpy": numpy, "python": random.getstate()}
        if torch.cuda.is_available():
            state["cuda"] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state: dict) -> None:
        torch.set_rng_state(state["torch"])
        name, keys, *rest = state["numpy"]
        keys = keys.numpy() if isinstance(keys, torch.Tensor) else keys  # older checkpoints: the array itself
        np.random.set_state((name, keys.astype(np.uint32), *rest))
        random.setstate(state["python"])
        if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(state["cuda"])


class TrainingBudget(Callback):
    """Fit the run to a wall-clock budget for its training loop, measured on this machine.

    After ``calibration_steps`` optimiser steps (the first ``skip_steps`` not timed, they
    warm caches up), the seconds per step give how many epochs fit in ``train_seconds``:
    ``max_epochs`` becomes that (at least 1, at most the recipe's), and a schedule that knows
    its length (``set_total_steps``, e.g. ``WarmupCosineLR``) is re-timed to the new end, so
    the learning rate still decays to its minimum. A fast machine keeps the recipe's epochs;
    a slow one trains fewer. After each epoch the decision is checked against the time the
    epochs took (``TrainClock``), and cut when the machine slowed down. The choice is saved
    with the training state, so a resumed run keeps it.

    Args:
        train_seconds: the budget for the training loop (validation and testing excluded).
        calibration_steps: steps after which the epoch count is decided.
        skip_steps: first steps not timed.
    """

    def __init__(self, train_seconds: float, calibration_steps: int = 20, skip_steps: int = 5) -> None:
        if train_seconds <= 0 or calibration_steps <= skip_steps:
            raise ZooError("TrainingBudget needs train_seconds > 0 and calibration_steps > skip_steps")
        self.train_seconds, self.calibration_steps, self.skip_steps = train_seconds, calibration_steps, skip_steps
        self.epochs: int | None = None  # decided after calibration
        self._start: float | None = None

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.epochs is not None:  # resumed: keep the earlier decision
            trainer.fit_loop.max_epochs = self.epochs

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if self.epochs is None and trainer.global_step == self.skip_steps:
            self._start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.epochs is not None or self._start is None or trainer.global_step < self.calibration_steps:
            return
        per_step = (time.perf_counter() - self._start) / (trainer.global_step - self.skip_steps)
        self._fit(trainer, int(self.train_seconds / (per_step * steps_per_epoch(trainer))))
        rank_zero_info(
            f"training budget {self.train_seconds:.0f} s at {per_step * 1000:.0f} ms/step: {self.epochs} epochs"
        )

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Check the decision against the epochs so far: a machine that slowed down (a busy
        neighbour) trains fewer epochs than first decided, never more."""
        clock = next((c for c in trainer.callbacks if isinstance(c, TrainClock)), None)
        done = trainer.current_epoch + 1
        if self.epochs is None or clock is None or done >= self.epochs:
            return
        remaining = int((self.train_seconds - clock.seconds) / (clock.seconds / done))
        if done + remaining < self.epochs:
            self._fit(trainer, done + max(1, remaining))
            rank_zero_info(f"training budget: slower than calibrated, {self.epochs} epochs")

    def _fit(self, trainer: L.Trainer, epochs: int) -> None:
        """Train ``epochs`` (at least 1, at most the recipe's); the schedule ends with them."""
        self.epochs = max(1, min(trainer.max_epochs, epochs))
        set_epochs(trainer, self.epochs)

    def metrics(self) -> dict:
        return {"budget_train_seconds": self.train_seconds, "budget_epochs": self.epochs}

    def state_dict(self) -> dict:
        return {"epochs": self.epochs}

    def load_state_dict(self, state: dict) -> None:
        self.epochs = state["epochs"]


class MinSteps(Callback):
    """Train at least ``min_steps`` optimiser steps: on data so small that the recipe's
    ``max_epochs`` would give fewer, ``max_epochs`` grows to enough epochs (and a schedule
    that knows its length is re-timed to end with them). Larger data keeps its epochs.

    ``zoo finetune`` adds it (``--min-steps``, default 300): 100 labelled images a label
    reached +0.2 to +8.4 points more after 300 steps than after 100 (docs/results.md).
    """

    def __init__(self, min_steps: int) -> None:
        if min_steps < 1:
            raise ZooError(f"MinSteps needs min_steps >= 1, got {min_steps}")
        self.min_steps = min_steps

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        epochs = math.ceil(self.min_steps / steps_per_epoch(trainer))
        if epochs > trainer.max_epochs:
            rank_zero_info(f"{trainer.max_epochs} epochs are fewer than {self.min_steps} steps here: training {epochs}")
            set_epochs(trainer, epochs)


def steps_per_epoch(trainer: L.Trainer) -> int:
    """Optimiser steps in one epoch on each device (``trainer.global_step`` counts them): a task
    that steps its optimisers itself (a GAN's discriminator and generator) steps each once a batch."""
    if not trainer.lightning_module.automatic_optimization:
        return max(1, trainer.num_training_batches * len(trainer.optimizers))
    return max(1, math.ceil(trainer.num_training_batches / trainer.accumulate_grad_batches))


def set_epochs(trainer: L.Trainer, epochs: int) -> None:
    """End training after ``epochs``; a schedule that knows its length ends with them."""
    trainer.fit_loop.max_epochs = epochs
    for config in trainer.lr_scheduler_configs:
        if isinstance(config.scheduler, RetimableSchedule):
            config.scheduler.set_total_steps(epochs * steps_per_epoch(trainer))


class InitFromCheckpoint(Callback):
    """Before fitting, load a zoo checkpoint (a name or folder) into the task's ``model``.

    Only when fitting: testing or re-exporting a finished run does not need the pretraining
    checkpoint, and a resumed run restores its own weights over these afterwards.

    Args:
        checkpoint: a named checkpoint or a checkpoint folder.
        modules: load only these top-level submodules (e.g. ``[backbone]`` from another
            modality's checkpoint); see :func:`zoo.hub.init.init_from_checkpoint`.
        new_head: the classifier keeps its fresh init (a new label set, or a checkpoint whose
            head is another task's, such as an LM head); False loads the head too.
        branch: a modality: load that branch of a multimodal checkpoint (e.g. ``video``: its
            video front-end and backbone, for a video classifier).
    """

    def __init__(
        self, checkpoint: str, modules: list[str] | None = None, new_head: bool = True, branch: str | None = None
    ) -> None:
        self.checkpoint, self.modules, self.new_head, self.branch = checkpoint, modules, new_head, branch
        self.report: LoadReport | None = None

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        from zoo.hub.init import init_from_checkpoint

        if stage == "fit":
            self.report = init_from_checkpoint(
                pl_module.model, self.checkpoint, self.modules, self.new_head, self.branch
            )
            rank_zero_info(f"initialised from {self.checkpoint}: {self.report}")

    def metrics(self) -> dict:
        if self.report is None:
            return {}
        return {
            "init_from": str(self.checkpoint),
            "reused_tensors": len(self.report.reused),
            "reinitialised_tensors": self.report.reinitialised,
        }


class InitFromWordVectors(Callback):
    """Before fitting, start the text front-end's token embedding from a word-vector checkpoint
    (:func:`zoo.hub.init.init_token_embedding`): every token that is a whole word in the
    vectors' vocabulary takes its vector. Use after ``InitFromCheckpoint`` if both are given.

    Args:
        vectors: a named word-vector checkpoint (``zoo list``) or its folder, of the
            embedding's dimension.
    """

    def __init__(self, vectors: str) -> None:
        self.vectors = vectors
        self.initialised: int | None = None
        self.vocab_size: int | None = None

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        from zoo.contracts import TokenFrontEnd
        from zoo.hub.init import init_token_embedding
        from zoo.hub.pretrained import load

        if stage != "fit":
            return
        frontends = [m for m in pl_module.model.modules() if isinstance(m, TokenFrontEnd)]
        preprocessing = getattr(trainer.datamodule, "preprocessing", None)
        text = getattr(preprocessing, "text", preprocessing)  # a multimodal model's text part
        if len(frontends) != 1 or not hasattr(text, "tokenizer"):
            raise ZooError("InitFromWordVectors needs a model with one text front-end and data with a tokenizer")
        embedding = frontends[0].get_input_embeddings()
        self.initialised = init_token_embedding(embedding, text.tokenizer, load(self.vectors).word_vectors)
        self.vocab_size = embedding.num_embeddings
        rank_zero_info(f"token embedding: {self.initialised:,} of {self.vocab_size:,} tokens from {self.vectors}")

    def metrics(self) -> dict:
        if self.initialised is None:
            return {}
        return {"init_word_vectors": str(self.vectors), "tokens_from_word_vectors": self.initialised}


def set_trainable(model: nn.Module, trainable_groups: int) -> None:
    """Train the classifier and the last ``trainable_groups`` of ``model.layer_groups()``.

    Frozen groups are also put in eval mode: their BatchNorm statistics and dropout stay
    fixed, so a frozen layer does not change at all.
    """
    groups = model.layer_groups()
    for i, group in enumerate(groups):
        trainable = i >= len(groups) - trainable_groups
        group.requires_grad_(trainable)
        group.train(trainable)


class FreezeBackbone(Callback):
    """Train the classifier alone: everything in ``model.layer_groups()`` stays as loaded (a
    linear probe). Lightning puts the whole model in training mode at each epoch's start,
    so the frozen groups are put back in eval mode there."""

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if stage == "fit":
            set_trainable(pl_module.model, 0)  # before the optimiser is built: it skips frozen tensors

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        set_trainable(pl_module.model, 0)


class GradualUnfreeze(Callback):
    """Epoch 0 trains the head alone; each later epoch unfreezes more layer groups, top
    first, so that all of them train from the middle epoch on (ULMFiT's gradual unfreezing).
    The middle is that of the run's ``max_epochs`` as it stands (``MinSteps`` may raise it).

    The optimiser holds every tensor from the start; a frozen one gets no gradient, so
    AdamW leaves it (and its weight decay) alone until it is unfrozen.
    """

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if stage == "fit" and trainer.world_size > 1:
            raise ZooError("gradual unfreezing changes the trained tensors mid-run, which DDP cannot; use none or backbone")

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        model = pl_module.model
        total = len(model.layer_groups())
        per_epoch = math.ceil(total / max(1, trainer.max_epochs // 2))
        set_trainable(model, min(total, trainer.current_epoch * per_epoch))
