"""What every fine-tune shares, whatever the checkpoint: its settings, the trainer and the
callbacks (best-epoch checkpointing, the checkpoint's weights, minimum steps, early stopping).
``zoo.pipeline.finetune`` builds a classifier's recipe from them, and
``zoo.pipeline.finetune_translation`` a translation model's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from zoo.data.image_folder import AUGMENT
from zoo.errors import ZooError
from zoo.precision import AUTO, resolve_precision

FREEZE = ("none", "backbone", "gradual")
SELECT = ("best", "last")  # which epoch's weights are tested and exported


@dataclass(frozen=True)
class FinetuneSettings:
    """How :func:`finetune` trains (the arguments of the same names there)."""

    epochs: int = 10
    min_steps: int = 300
    freeze: str = "none"
    new_head: bool | None = None
    lr: float = 5e-4
    batch_size: int = 32
    val_fraction: float = 0.2
    text_column: str = "text"
    label_column: str = "label"
    precision: str = AUTO
    accelerator: str = "auto"
    devices: str | int = "auto"
    seed: int = 0
    layer_decay: float | None = None
    label_smoothing: float | None = None
    patience: int | None = None
    select: str = "best"
    augment: str | None = None
    max_len: int | None = None

    def check(self) -> None:
        """One line for the first setting that cannot be used."""
        for name, value, ok in (
            ("epochs", self.epochs, self.epochs >= 1),
            ("min steps", self.min_steps, self.min_steps >= 0),
            ("batch size", self.batch_size, self.batch_size >= 1),
            ("learning rate", self.lr, self.lr >= 0),
            ("patience", self.patience, self.patience is None or self.patience >= 1),
            ("max len", self.max_len, self.max_len is None or self.max_len >= 3),
        ):
            if not ok:
                raise ZooError(f"{name} {value!r} is not valid; give a positive number")
        if self.freeze not in FREEZE:
            raise ZooError(f"freeze {self.freeze!r} is not one of {', '.join(FREEZE)}")
        if self.layer_decay is not None and not 0 < self.layer_decay <= 1:
            raise ZooError(f"layer decay {self.layer_decay!r} is not valid; give a number in (0, 1], e.g. 0.75")
        if self.layer_decay is not None and self.freeze == "backbone":
            raise ZooError("layer decay has no effect with --freeze backbone (only the head trains); leave one out")
        if self.patience is not None and self.freeze == "gradual":
            raise ZooError("early stopping would stop gradual unfreezing before every layer trains; leave out patience")
        if self.label_smoothing is not None and not 0 <= self.label_smoothing < 1:
            raise ZooError(f"label smoothing {self.label_smoothing!r} is not valid; give a number in [0, 1)")
        if self.select not in SELECT:
            raise ZooError(f"select {self.select!r} is not one of {', '.join(SELECT)}")
        if self.select == "last" and self.patience is not None:
            raise ZooError("early stopping picks the best epoch; with select='last' leave out patience")
        if self.augment is not None and self.augment not in AUGMENT:
            raise ZooError(f"augment {self.augment!r} is not one of {', '.join(AUGMENT)}")
        if self.precision != AUTO:
            resolve_precision(self.precision, self.accelerator)  # a bad value is one line before anything loads


def trainer_settings(settings: FinetuneSettings) -> dict:
    """The trainer settings every fine-tune shares: devices, precision, epochs and loggers."""
    return {
        "accelerator": settings.accelerator,
        "devices": settings.devices,
        "precision": None if settings.precision == AUTO else resolve_precision(settings.precision, settings.accelerator),
        "max_epochs": settings.epochs,
        "log_every_n_steps": 10,
        "logger": [
            {"class_path": "lightning.pytorch.loggers.CSVLogger", "init_args": {"save_dir": ".", "name": "csv"}},
            {"class_path": "lightning.pytorch.loggers.TensorBoardLogger", "init_args": {"save_dir": ".", "name": "tensorboard"}},
        ],
    }  # fmt: skip


def training_callbacks(
    settings: FinetuneSettings, folder: Path, monitor: dict, new_head: bool, branch: str | None = None
) -> list[dict]:
    """The callbacks of a fine-tune from checkpoint ``folder``: checkpointing by ``monitor``
    (``{"monitor": ..., "mode": ...}``) or the last epoch (``select``), the progress bar, the
    checkpoint's weights (a fresh classifier with ``new_head``; a multimodal checkpoint's
    ``branch`` alone), the freeze strategy, the minimum steps and early stopping by ``monitor``."""
    callbacks = [
        {
            "class_path": "lightning.pytorch.callbacks.ModelCheckpoint",
            "init_args": (
                {**monitor, "save_last": True, "filename": "best-{epoch}"}
                if settings.select == "best"
                else {"save_last": True, "filename": "last-{epoch}"}  # no monitor: the latest epoch is tested
            ),
        },
        {"class_path": "lightning.pytorch.callbacks.RichProgressBar"},
        {
            "class_path": "zoo.callbacks.InitFromCheckpoint",
            "init_args": {"checkpoint": str(folder), "new_head": new_head, **({"branch": branch} if branch else {})},
        },
        *_freeze_callbacks(settings.freeze),
    ]
    if settings.min_steps:
        callbacks.append({"class_path": "zoo.callbacks.MinSteps", "init_args": {"min_steps": settings.min_steps}})
    if settings.patience is not None:
        callbacks.append({
            "class_path": "lightning.pytorch.callbacks.EarlyStopping",
            "init_args": {**monitor, "patience": settings.patience},
        })  # fmt: skip
    return callbacks


def _freeze_callbacks(freeze: str) -> list[dict]:
    if freeze == "backbone":
        return [{"class_path": "zoo.callbacks.FreezeBackbone"}]
    if freeze == "gradual":
        return [{"class_path": "zoo.callbacks.GradualUnfreeze"}]
    return []
