"""``zoo finetune NAME --data PATH --output OUT``: adapt a zoo classifier to a user's labelled data.

The checkpoint's preprocessing picks the reader: image folders (``DIR/<label>/*.png``), audio
folders (``DIR/<label>/*.wav``) or text files (``reviews.csv`` with text and label columns).
The head is kept when the data's labels are among the checkpoint's; a label the checkpoint
lacks needs ``--new-head``, which rebuilds the head for the data's labels. Every other tensor must load (see
``load_weights``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger
from torch import nn

from zoo.cli import ArgumentParser
from zoo.contracts import classifier_name, is_classifier
from zoo.data.audio_folder import AudioFolderDataModule
from zoo.data.image_folder import ImageFolderDataModule
from zoo.data.text_files import TextFileDataModule
from zoo.errors import ZooError
from zoo.hub.build import build
from zoo.hub.checkpoint import DTYPES, LoadReport, check_destination, load_weights
from zoo.hub.export import export_checkpoint, round_trip
from zoo.hub.pretrained import Pretrained, load
from zoo.run import TrainClock
from zoo.tasks.classification import ClassificationTask
from zoo.tasks.schedules import WarmupCosineLR

READERS = ("image", "audio", "text")  # the preprocessing kinds whose data zoo finetune reads
FREEZE = ("none", "backbone", "gradual")
PRECISIONS = ("32-true", "bf16-mixed", "16-mixed", "bf16-true", "16-true", "64-true")


def adapt(pretrained: Pretrained, labels: Sequence[str]) -> tuple[nn.Module, dict, LoadReport]:
    """The checkpoint's network for ``labels``: the same one if they are its labels, else a fresh
    classifier of ``len(labels)`` outputs (``reset_classifier``).

    The config stays the checkpoint's: the labels exported with the result size its
    classifier when it is loaded (see ``zoo.hub.pretrained.from_files``).

    Returns:
        (model, its config, which tensors were reused and which re-initialised)
    """
    config = pretrained.config["model"]
    model = build(config)
    if not is_classifier(model):
        raise ZooError(f"{type(model).__name__} has no classifier; cannot change its labels")
    if model.num_classes != len(labels):
        model.reset_classifier(len(labels))
    reinit = () if list(labels) == pretrained.labels else (f"{classifier_name(model)}.",)
    return model, config, load_weights(model, pretrained.model.state_dict(), reinit)


def set_trainable(model: nn.Module, trainable_groups: int) -> None:
    """Train the classifier and the last ``trainable_groups`` of ``model.layer_groups()``."""
    groups = model.layer_groups()
    for i, group in enumerate(groups):
        for param in group.parameters():
            param.requires_grad = i >= len(groups) - trainable_groups


class GradualUnfreeze(Callback):
    """Epoch 0 trains the head alone; each later epoch unfreezes more layer groups, top
    first, so that all of them train from the middle epoch on (ULMFiT's gradual unfreezing)."""

    def __init__(self, max_epochs: int) -> None:
        self.max_epochs = max_epochs

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: ClassificationTask) -> None:
        model = pl_module.model
        total = len(model.layer_groups())
        per_epoch = math.ceil(total / max(1, self.max_epochs // 2))
        set_trainable(model, min(total, trainer.current_epoch * per_epoch))


def finetune_main(argv: Sequence[str]) -> dict:
    parser = ArgumentParser(prog="zoo finetune")
    parser.add_argument("model", help="a named checkpoint (zoo list), a checkpoint folder, or hf://owner/repo")
    parser.add_argument(
        "--data",
        required=True,
        help="images: DIR/<label>/*.png or DIR/train|val/<label>/; audio: DIR/<label>/*.wav; text: FILE.csv",
    )
    parser.add_argument("--output", required=True, help="where the fine-tuned zoo checkpoint goes")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument(
        "--freeze", choices=FREEZE, default="none", help="what stays fixed (gradual: unfreeze top-down)"
    )
    parser.add_argument("--new-head", action="store_true", help="train a new classifier for the data's own labels")
    parser.add_argument("--text-column", default="text", help="text files: the column holding the text")
    parser.add_argument("--label-column", default="label", help="text files: the column holding the label")
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--val-fraction", type=float, default=0.2, help="held out per label when DIR has no val/")
    parser.add_argument("--precision", default="bf16-mixed")
    parser.add_argument("--accelerator", default="auto")
    parser.add_argument("--devices", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--weights-dtype", default="float32", choices=list(DTYPES))
    parser.add_argument("--workdir", help="Lightning logs and training state (default: OUTPUT.runs)")
    args = parser.parse_args(argv)
    for flag, value, ok in (
        ("--epochs", args.epochs, args.epochs >= 1),
        ("--batch-size", args.batch_size, args.batch_size >= 1),
        ("--lr", args.lr, args.lr >= 0),
        ("--precision", args.precision, args.precision in PRECISIONS),
    ):
        if not ok:
            hint = f"one of {', '.join(PRECISIONS)}" if flag == "--precision" else "a positive number"
            raise ZooError(f"{flag} {value!r} is not valid; give {hint}")
    return finetune(args, " ".join(["zoo finetune", *argv]))


def finetune(args, command: str) -> dict:
    L.seed_everything(args.seed, verbose=False)
    output = check_destination(Path(args.output))
    pretrained = load(args.model)
    kind = pretrained.preprocessing.kind
    if not pretrained.labels:
        raise ZooError(f"{args.model} is a {pretrained.task} model; zoo finetune trains classifiers")
    if kind not in READERS:
        raise ZooError(f"fine-tuning on {kind} data is not supported yet (supported: {', '.join(READERS)})")
    if kind == "text":
        folder = TextFileDataModule(
            args.data,
            val_fraction=args.val_fraction,
            text_column=args.text_column,
            label_column=args.label_column,
            batch_size=args.batch_size,
        )
        folder.preprocessing = pretrained.preprocessing  # read as the checkpoint was trained to read
    elif kind == "audio":
        folder = AudioFolderDataModule(
            args.data, pretrained.preprocessing, val_fraction=args.val_fraction, batch_size=args.batch_size
        )
    else:
        folder = ImageFolderDataModule(
            args.data, pretrained.preprocessing, val_fraction=args.val_fraction, batch_size=args.batch_size
        )
    unknown = sorted(set(folder.classes) - set(pretrained.labels))
    if not unknown and not args.new_head:
        folder.classes = list(pretrained.labels)  # the checkpoint's labels: keep the head, in its order
    elif not args.new_head:
        shown = ", ".join(map(repr, unknown[:5])) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise ZooError(
            f"labels {shown} are not among the checkpoint's {len(pretrained.labels)} labels; "
            "pass --new-head to train a new classifier for your labels"
        )
    folder.setup()  # decode everything now: a corrupt file stops us before anything is written
    model, config, report = adapt(pretrained, folder.classes)
    print(f"zoo finetune: {report}")

    clock = TrainClock()
    callbacks: list[Callback] = [clock]
    if args.freeze == "backbone":
        set_trainable(model, 0)
    elif args.freeze == "gradual":
        callbacks.append(GradualUnfreeze(args.epochs))
    workdir = Path(args.workdir) if args.workdir else output.with_name(output.name + ".runs")
    checkpointing = ModelCheckpoint(dirpath=workdir / "lightning", monitor="val/acc", mode="max", save_last=True)
    trainer = L.Trainer(
        max_epochs=args.epochs,
        precision=args.precision,
        accelerator=args.accelerator,
        devices=args.devices,
        callbacks=[checkpointing, *callbacks],
        logger=CSVLogger(workdir, name="csv"),
        log_every_n_steps=10,
        enable_model_summary=False,
    )
    if args.freeze == "gradual" and trainer.world_size > 1:
        raise ZooError(
            "--freeze gradual changes the trained parameters mid-run, which DDP cannot; use none or backbone"
        )
    task = ClassificationTask(
        model,
        num_classes=len(folder.classes),
        optimizer=partial(torch.optim.AdamW, lr=args.lr, weight_decay=0.05),
        lr_scheduler=partial(WarmupCosineLR, warmup_fraction=0.1),
    )
    trainer.fit(task, datamodule=folder)
    tested = trainer.test(task, datamodule=folder, ckpt_path=checkpointing.best_model_path or None, weights_only=False)
    if args.weights_dtype != "float32":
        round_trip(task.model, args.weights_dtype)
        tested = trainer.test(task, datamodule=folder, verbose=False)
    split = "test" if "test" in folder.splits else "val"
    metrics = {
        "base": str(args.model),
        "freeze": args.freeze,
        **{
            name.replace("test/", f"{split}/") if split == "val" else name: round(float(v), 6)
            for name, v in tested[0].items()
        },
        "params": sum(p.numel() for p in task.model.parameters()),
        "epochs": trainer.current_epoch,
        "steps": trainer.global_step,
        "train_seconds": round(clock.seconds, 1),
        "precision": str(trainer.precision),
        "reused_tensors": len(report.reused),
        "reinitialised_tensors": report.reinitialised,
    }
    if trainer.is_global_zero:
        export_checkpoint(
            output,
            task.model,
            config,
            folder.classes,
            pretrained.preprocessing,
            metrics,
            folder.description + f"; fine-tuned from {args.model}",
            command,
            args.weights_dtype,
            task=pretrained.task,
        )
        print(
            f"zoo finetune: {split}/acc {metrics.get(f'{split}/acc', float('nan')):.4f}; checkpoint written to {output}"
        )
    return metrics
