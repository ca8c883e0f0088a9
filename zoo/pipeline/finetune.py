"""Fine-tuning as a recipe: a zoo checkpoint adapted to a user's labelled data.

:func:`finetune_recipe` builds a recipe-shaped dict from a checkpoint: the checkpoint's model
config, weights loaded by ``InitFromCheckpoint``, the user's data read as the checkpoint
reads (image folders ``DIR/<label>/*.png``, audio folders ``DIR/<label>/*.wav`` or CSV/JSONL
texts), the freeze strategy as a callback and trainer settings. :func:`finetune` runs it
through :func:`zoo.pipeline.run.run`, the path every recipe takes; the resolved recipe is
saved as ``<workdir>/recipe.yaml`` and ``zoo run`` can run it again.

A video + audio + text (contrastive) checkpoint becomes a video classifier: its video
front-end, the backbone that reads it (or its video CNN) and a new classifier, trained on
video folders ``DIR/<label>/*.mp4``.

A translation checkpoint fine-tunes whole on the user's ``source<TAB>target`` pairs, read
with its own tokenizer (``zoo.pipeline.finetune_translation``).

The head is kept when every label of the data is one of the checkpoint's (in the
checkpoint's order); otherwise the classifier is replaced by a fresh one for the data's
labels (``new_head=True`` forces that). A masked-LM, masked-autoencoder or causal-LM checkpoint (a
pretrained encoder such as ``bert-tiny-english``, a GPT such as ``gpt-tiny-english``) becomes a
classifier: its front-end and backbone, and a new ``ClassifierHead`` in place of its LM head or
patch decoder, pooling the class token where the front-end prepends one (else the mean of the
tokens). A GPT's backbone then attends both ways, as an encoder's does.

    >>> import zoo
    >>> zoo.finetune("vit-tiny-fashion-mnist", data="my_photos/", output="my_model", epochs=5)
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from zoo.data.image_folder import DEFAULT_AUGMENT
from zoo.errors import ZooError
from zoo.hub.checkpoint import DTYPES, check_destination
from zoo.hub.pretrained import Pretrained, load
from zoo.hub.registry import resolve
from zoo.pipeline.finetune_settings import FinetuneSettings, trainer_settings, training_callbacks
from zoo.pipeline.finetune_translation import translation_recipe
from zoo.pipeline.run import run
from zoo.precision import AUTO

READERS = ("image", "audio", "text", "video", "multimodal")  # the preprocessing kinds whose data zoo finetune reads
# the checkpoints zoo finetune starts from; a contrastive (video + audio + text) one gives its video branch
BASE_KINDS = ("classification", "masked-lm", "masked-autoencoder", "causal-lm", "contrastive")
CLASSIFIER_HEAD = "zoo.heads.classifier.ClassifierHead"
UNIMODAL = "zoo.models.unimodal.UnimodalModel"  # what a causal LM's classifier is built as
DATA_MODULES = {
    "image": "zoo.data.image_folder.ImageFolderDataModule",
    "audio": "zoo.data.audio_folder.AudioFolderDataModule",
    "text": "zoo.data.text_files.TextFileDataModule",
    "video": "zoo.data.video_folder.VideoFolderDataModule",
    "multimodal": "zoo.data.video_folder.VideoFolderDataModule",  # a contrastive model's video branch
}


def finetune(
    model: str | Path,
    data: str | Path,
    output: str | Path,
    epochs: int = 10,
    min_steps: int = 300,
    freeze: str = "none",
    new_head: bool | None = None,
    lr: float = 5e-4,
    batch_size: int = 32,
    val_fraction: float = 0.2,
    text_column: str = "text",
    label_column: str = "label",
    precision: str = AUTO,
    accelerator: str = "auto",
    devices: str | int = "auto",
    seed: int = 0,
    layer_decay: float | None = None,
    label_smoothing: float | None = None,
    patience: int | None = None,
    select: str = "best",
    augment: str | None = None,
    max_len: int | None = None,
    weights_dtype: str = "float32",
    workdir: str | Path | None = None,
    resume: bool = False,
    command: str | None = None,
) -> dict:
    """Fine-tune checkpoint ``model`` on ``data``; write the result as a zoo checkpoint: a
    classifier from a classifier or a pretrained encoder or LM, a translation model from a
    translation model.

    Args:
        model: a named checkpoint (``zoo list``), a checkpoint folder or URL.
        data: images ``DIR/<label>/*.png`` (or ``DIR/train|val|test/<label>/``), audio
            ``DIR/<label>/*.wav``, or texts in a CSV/JSONL file with text and label columns;
            for a translation model, ``source<TAB>target`` lines in a ``.tsv`` file (a share
            held out for validation) or a folder of ``train.tsv``, ``val.tsv`` [, ``test.tsv``],
            read with the checkpoint's tokenizer.
        output: the fine-tuned zoo checkpoint's folder.
        epochs: training epochs (at most, with ``patience``), more where they would be fewer
            than ``min_steps`` optimiser steps.
        min_steps: train at least this many optimiser steps (0: exactly ``epochs``): small
            data gets more epochs. benchmarks/transfer.py measured 300 steps over 100 on every
            image set it varied (docs/results.md#fine-tuning-defaults).
        freeze: "none" trains everything; "backbone" the classifier alone (a linear probe);
            "gradual" unfreezes layer groups top-down, one more each epoch.
        new_head: None: a new classifier exactly when the data has labels the checkpoint
            lacks; True: always a new one; False: keep the checkpoint's (its labels only).
        lr: AdamW's peak learning rate (weight decay 0.05, warm-up then cosine decay).
        batch_size: examples per batch on each device.
        val_fraction: share of each label held out for validation when the data has no val split.
        text_column, label_column: the columns of a text file.
        precision: "auto" (by hardware, see :mod:`zoo.precision`) or a Lightning precision.
        accelerator, devices: as Lightning's Trainer takes them.
        seed: seeds weights of a new head, data order and augmentation.
        layer_decay: layer-wise learning-rate decay (e.g. 0.75; BEiT / MAE fine-tuning): the
            head and final norm learn at ``lr``, each block below at that times the rate of the
            block above, the front-end lowest. Not with ``freeze="backbone"``.
        label_smoothing: cross-entropy label smoothing of the training loss (None: 0 for a
            classifier, 0.1 for translation, the 2017 paper's).
        patience: stop after this many epochs without a better validation accuracy (loss for
            translation; the
            best epoch's weights are exported either way); None trains every epoch. Not with
            ``freeze="gradual"``.
        select: "best": test and export the epoch of best validation accuracy; "last": the
            final epoch's (for a fixed schedule, or a validation split too small to choose by).
        augment: images' training augmentation (None: "shift"; refused for audio and text):
            "shift" (shifted crops: safe for digits, letters, anything a mirror changes),
            "flip" (the crops and horizontal flips: for subjects a mirror leaves the same) or
            "none". benchmarks/transfer.py measured
            shift over flip on handwritten digits (docs/results.md#fine-tuning-defaults).
        max_len: texts' context in tokens (None: the checkpoint's; refused for images and
            audio). Longer texts are cut to it; a longer context than the checkpoint's starts
            its new learned positions as the trained ones repeated
            (``zoo.frontends.text.TokenEmbed.extend_positions``). Attention costs grow with its
            square.
        weights_dtype: how the checkpoint stores weights (float32, float16, bfloat16).
        workdir: training state, logs and metrics (default: ``OUTPUT.runs`` beside ``output``).
        resume: continue a killed fine-tune from ``workdir/lightning/last.ckpt``.
        command: the command the card gives to reproduce it.

    Returns:
        The metrics written to ``workdir/metrics.json`` (and the checkpoint's ``metrics.json``).
    """
    settings = FinetuneSettings(
        epochs=epochs, min_steps=min_steps, freeze=freeze, new_head=new_head, lr=lr, batch_size=batch_size, val_fraction=val_fraction,
        text_column=text_column, label_column=label_column, precision=precision, accelerator=accelerator,
        devices=devices, seed=seed, layer_decay=layer_decay, label_smoothing=label_smoothing, patience=patience,
        select=select, augment=augment, max_len=max_len,
    )  # fmt: skip
    settings.check()
    if weights_dtype not in DTYPES:
        raise ZooError(f"weights dtype {weights_dtype!r} is not one of {', '.join(DTYPES)}")
    output = check_destination(Path(output))
    folder, _ = resolve(model)
    pretrained = load(folder)
    recipe, head_line = finetune_recipe(pretrained, folder, data, settings)
    print(f"zoo finetune: {head_line}")
    workdir = Path(workdir) if workdir else output.with_name(output.name + ".runs")
    used = asdict(settings) | {"augment": recipe["data"]["init_args"].get("augment")}  # images' default resolved
    extra = {"base": str(model), "settings": used}
    return run(
        recipe,
        workdir,
        resume=resume,
        weights_dtype=weights_dtype,
        checkpoint=output,
        command=command or f"zoo finetune {model} --data {data} --output {output}",
        provenance=f"fine-tuned from {model}",
        extra_metrics=extra,
    )


def finetune_recipe(
    pretrained: Pretrained, folder: Path, data: str | Path, settings: FinetuneSettings = FinetuneSettings()
) -> tuple[dict, str]:
    """The recipe that fine-tunes ``pretrained`` (read from checkpoint folder ``folder``) on
    ``data`` with ``settings``, and one line saying whether the head is kept."""
    kind = pretrained.preprocessing.kind
    if pretrained.kind == "translation":
        return translation_recipe(pretrained, folder, data, settings)
    if pretrained.kind not in BASE_KINDS:
        raise ZooError(
            f"{folder} is a {pretrained.task} model; zoo finetune trains classifiers from classifiers, "
            "masked-LM or masked-patch encoders and causal LMs, and translation models from translation models"
        )
    if kind not in READERS:
        raise ZooError(f"fine-tuning on {kind} data is not supported yet (supported: {', '.join(READERS)})")
    if pretrained.kind != "classification" and settings.new_head is False:
        raise ZooError(f"{folder} is a {pretrained.task} model: it has no classifier to keep (new_head=False)")
    data_args = _data_args(kind, pretrained, folder, data, settings)
    found = _labels_of(kind, data_args)
    known = pretrained.labels if pretrained.kind == "classification" else []  # a zero-shot model's labels have no head
    labels, keep_head, line = _choose_head(found, known, settings.new_head)
    data_args["classes"] = labels
    branch = "video" if pretrained.kind == "contrastive" else None
    monitor = {"monitor": "val/acc", "mode": "max"}
    callbacks = training_callbacks(settings, folder, monitor, new_head=not keep_head, branch=branch)
    recipe = {
        "seed_everything": settings.seed,
        "trainer": {**trainer_settings(settings), "callbacks": callbacks},
        "model": {
            "class_path": "zoo.tasks.classification.ClassificationTask",
            "init_args": {
                "model": with_context(classifier_config(pretrained, len(labels)), settings.max_len),
                "num_classes": len(labels),
                "optimizer": {"class_path": "torch.optim.AdamW", "init_args": {"lr": settings.lr, "weight_decay": 0.05}},
                "lr_scheduler": {"class_path": "zoo.tasks.schedules.WarmupCosineLR", "init_args": {"warmup_fraction": 0.1}},
                "label_smoothing": settings.label_smoothing or 0.0,
                "layer_decay": settings.layer_decay,
            },
        },
        "data": {"class_path": DATA_MODULES[kind], "init_args": data_args},
    }
    return recipe, line


def classifier_config(pretrained: Pretrained, num_classes: int) -> dict:
    """The checkpoint's model config as a classifier's. A pretrained encoder's LM head or patch
    decoder becomes a ``ClassifierHead`` of the encoder's width, pooling the class token where the front-end
    prepends one (else the mean of the tokens); a causal LM becomes a ``UnimodalModel``
    (no causal mask) the same way; a classifier's config is returned as it is (the task
    resizes its classifier to ``num_classes``)."""
    model = pretrained.config["model"]
    if pretrained.kind == "classification":
        return model
    if pretrained.kind == "contrastive":
        return video_branch_config(pretrained, num_classes)
    head = model["init_args"]["head"]["init_args"]
    pool = "cls" if pretrained.model.frontend.num_prefix_tokens else "mean"
    args = {"embed_dim": head["embed_dim"], "num_classes": num_classes, "pool": pool, "drop": 0.1}
    class_path = UNIMODAL if pretrained.kind == "causal-lm" else model["class_path"]
    head_config = {"class_path": CLASSIFIER_HEAD, "init_args": args}
    return {"class_path": class_path, "init_args": {**model["init_args"], "head": head_config}}


def video_branch_config(pretrained: Pretrained, num_classes: int) -> dict:
    """A contrastive model's video branch as a classifier's config: a ``UnimodalModel`` of its
    video front-end, the backbone that reads it and a ``ClassifierHead`` on the [AGG] token; for
    the CNN twin (``MultimodalEncoders``), its video encoder with ``num_classes`` outputs."""
    args = pretrained.config["model"]["init_args"]
    if "encoders" in args:
        video = args["encoders"]["video"]
        return {**video, "init_args": {**video["init_args"], "num_classes": num_classes}}
    backbone = args["backbone"] if "class_path" in args["backbone"] else args["backbone"]["video"]
    width = pretrained.model.backbone_for("video").embed_dim
    head = {"class_path": CLASSIFIER_HEAD, "init_args": {"embed_dim": width, "num_classes": num_classes, "pool": "cls", "drop": 0.1}}
    return {"class_path": UNIMODAL, "init_args": {"frontend": args["frontends"]["video"], "backbone": backbone, "head": head}}


def with_context(model: dict, max_len: int | None) -> dict:
    """A text model's config with its front-end's context set to ``max_len`` (None: as it is)."""
    if max_len is None:
        return model
    frontend = model["init_args"]["frontend"]
    frontend = {**frontend, "init_args": {**frontend["init_args"], "max_len": max_len}}
    return {**model, "init_args": {**model["init_args"], "frontend": frontend}}


def _data_args(kind: str, pretrained: Pretrained, folder: Path, data: str | Path, settings: FinetuneSettings) -> dict:
    """The data module's arguments: the user's data, read as the checkpoint reads."""
    args = {"root": str(Path(data).resolve()), "val_fraction": settings.val_fraction, "batch_size": settings.batch_size}
    if kind == "image":
        args["augment"] = settings.augment or DEFAULT_AUGMENT
    elif settings.augment is not None:
        raise ZooError(f"augment {settings.augment!r} applies to images; {kind} data has no such setting")
    if kind != "text" and settings.max_len is not None:
        raise ZooError(f"max len {settings.max_len!r} applies to texts; {kind} data has no such setting")
    if kind == "text":
        max_len = settings.max_len or pretrained.preprocessing.max_len
        columns = {"text_column": settings.text_column, "label_column": settings.label_column}
        return {**args, **columns, "tokenizer": str(folder), "max_len": max_len}
    if kind == "multimodal":  # a contrastive model's video branch reads the clips alone
        return {**args, "preprocessing": pretrained.preprocessing.video.to_dict()}
    return {**args, "preprocessing": pretrained.preprocessing.to_dict()}


def _labels_of(kind: str, data_args: dict) -> list[str]:
    """The data's labels, sorted: the data module scans (and checks) the folder or file."""
    from zoo.data.preprocessing import preprocessing_from_dict

    module, _, name = DATA_MODULES[kind].rpartition(".")
    args = dict(data_args)
    if "preprocessing" in args:
        args["preprocessing"] = preprocessing_from_dict(args["preprocessing"])
    return list(getattr(importlib.import_module(module), name)(**args).classes)


def _choose_head(found: Sequence[str], known: Sequence[str], new_head: bool | None) -> tuple[list[str], bool, str]:
    """(label order, whether the checkpoint's head is kept, one line saying which)."""
    unknown = [label for label in found if label not in known]
    if new_head is False and unknown:
        raise ZooError(f"labels {_shown(unknown)} are not among the checkpoint's {len(known)} labels; a new head is needed")
    if new_head or unknown:
        kept = [label for label in found if label in known]
        why = "as asked" if not unknown else f"{_shown(unknown)} {'is' if len(unknown) == 1 else 'are'} new"
        return list(found), False, (
            f"a new head for {len(found)} labels ({why}; "
            f"{'also in the checkpoint: ' + _shown(kept) if kept else 'none of them in the checkpoint'})"
        )
    return list(known), True, f"keeping the checkpoint's head and its {len(known)} labels ({len(found)} in the data)"


def _shown(labels: Sequence[str], most: int = 5) -> str:
    text = ", ".join(map(repr, labels[:most]))
    return text + (f" and {len(labels) - most} more" if len(labels) > most else "")
