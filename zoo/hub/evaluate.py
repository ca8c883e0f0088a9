"""Measure a loaded checkpoint on held-out data, as ``zoo run`` measured it."""

from __future__ import annotations

import lightning as L

from zoo.errors import ZooError
from zoo.hub.pretrained import Pretrained


def evaluate(pretrained: Pretrained, datamodule: L.LightningDataModule, precision: str = "32-true") -> dict[str, float]:
    """Test metrics of ``pretrained`` on ``datamodule``: ``test/acc``, ``test/f1_macro``, ... for a
    classifier, ``test/loss`` and ``test/ppl`` for a language model.

    A text datamodule reads with the checkpoint's own tokenizer. Use the ``precision``
    recorded in the checkpoint's metrics to reproduce them exactly.
    """
    from zoo.tasks import ClassificationTask, LanguageModelTask, MaskedLMTask

    if hasattr(datamodule, "preprocessing") and pretrained.preprocessing.kind == "text":
        datamodule.preprocessing = pretrained.preprocessing
    tasks = {
        "classification": lambda: ClassificationTask(pretrained.model, num_classes=len(pretrained.labels)),
        "causal-lm": lambda: LanguageModelTask(pretrained.model),
        "masked-lm": lambda: MaskedLMTask(pretrained.model),
    }
    if pretrained.kind not in tasks:
        raise ZooError(f"cannot evaluate a {pretrained.task} checkpoint")
    task = tasks[pretrained.kind]()
    trainer = L.Trainer(
        accelerator="cpu",
        devices=1,
        precision=precision,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
    )
    return {name: float(value) for name, value in trainer.test(task, datamodule=datamodule, verbose=False)[0].items()}


def held_out_data(pretrained: Pretrained, variant: str = "embedded") -> L.LightningDataModule | None:
    """The held-out data of the checkpoint: ``embedded`` ships in the package (a subset of the
    test split its card was measured on), ``full`` is that test split (prepared or installed
    data, see docs/data.md). None for ``embedded`` when the data may not be embedded.

    Checkpoints record the datamodule they were trained on (``data`` in config.yaml); older
    ones, all from one dataset per task, are found by their task.
    """
    from zoo.data.fashion_mnist import FashionMNISTDataModule
    from zoo.data.language_modeling import LanguageModelDataModule
    from zoo.data.rotten_tomatoes import RottenTomatoesDataModule
    from zoo.data.spoken_digits import SpokenDigitsDataModule
    from zoo.data.spoken_language import SpokenLanguageDataModule

    data, p = pretrained.config.get("data"), pretrained.preprocessing
    if data == "zoo.data.spoken_digits.SpokenDigitsDataModule":  # embedded whole: one variant
        return SpokenDigitsDataModule(p.sample_rate, p.max_seconds)
    if data == "zoo.data.spoken_language.SpokenLanguageDataModule":  # GPL-2: never embedded
        return None if variant == "embedded" else SpokenLanguageDataModule(p.sample_rate, p.max_seconds)
    if pretrained.task == "image-classification":
        return FashionMNISTDataModule(variant=variant)
    if pretrained.task == "text-classification":
        return RottenTomatoesDataModule(variant=variant)
    if pretrained.task == "text-causal-lm":
        return LanguageModelDataModule("web-bible", variant, "causal", seq_len=p.max_len)
    if pretrained.task == "text-masked-lm":
        return LanguageModelDataModule("rotten-tomatoes", variant, "masked", seq_len=p.max_len)
    raise ZooError(
        f"no held-out data known for this {pretrained.task} checkpoint (trained on {data or 'unrecorded data'})"
    )
