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


def held_out_data(pretrained: Pretrained, variant: str = "embedded") -> L.LightningDataModule:
    """The held-out data of the checkpoint's task: ``embedded`` ships in the package (a subset of
    the test split its card was measured on), ``full`` is that test split (prepared or installed
    data, see docs/data.md)."""
    from zoo.data.fashion_mnist import FashionMNISTDataModule
    from zoo.data.language_modeling import LanguageModelDataModule
    from zoo.data.rotten_tomatoes import RottenTomatoesDataModule
    from zoo.data.spoken_digits import DIGITS, SpokenDigitsDataModule
    from zoo.data.spoken_language import SpokenLanguageDataModule

    if pretrained.task == "image-classification":
        return FashionMNISTDataModule(variant=variant)
    if pretrained.task == "text-classification":
        return RottenTomatoesDataModule(variant=variant)
    if pretrained.task == "audio-classification":  # two audio sets; their label sets tell them apart
        p = pretrained.preprocessing
        if pretrained.labels == list(DIGITS):  # embedded whole: both variants are the same clips
            return SpokenDigitsDataModule(p.sample_rate, p.max_seconds)
        return SpokenLanguageDataModule(p.sample_rate, p.max_seconds, variant=variant)
    seq_len = pretrained.preprocessing.max_len
    if pretrained.task == "text-causal-lm":
        return LanguageModelDataModule("web-bible", variant, "causal", seq_len=seq_len)
    if pretrained.task == "text-masked-lm":
        return LanguageModelDataModule("rotten-tomatoes", variant, "masked", seq_len=seq_len)
    raise ZooError(f"no test data for a {pretrained.task} checkpoint")
