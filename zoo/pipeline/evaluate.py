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
    if hasattr(datamodule, "preprocessing") and pretrained.preprocessing.kind in ("text", "multimodal", "words"):
        datamodule.preprocessing = pretrained.preprocessing
    task = task_for(pretrained)
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


def task_for(pretrained: Pretrained) -> L.LightningModule:
    """The task that scores ``pretrained``: a pretraining task with the loss settings its
    checkpoint recorded (``objective`` in config.yaml: e.g. an MAE's mask ratio), so the loss
    is the one its card reports."""
    from zoo.tasks import ClassificationTask, LanguageModelTask, MaskedAutoencoderTask, MaskedLMTask
    from zoo.tasks.contrastive import ContrastiveTask
    from zoo.tasks.gan import GANTask
    from zoo.tasks.translation import TranslationTask
    from zoo.tasks.word_embedding import WordEmbeddingTask

    objective = pretrained.config.get("objective", {})
    p = pretrained.preprocessing
    tasks = {
        "classification": lambda: ClassificationTask(pretrained.model, num_classes=len(pretrained.labels)),
        "causal-lm": lambda: LanguageModelTask(pretrained.model),
        "masked-lm": lambda: MaskedLMTask(pretrained.model, **objective),
        "masked-autoencoder": lambda: MaskedAutoencoderTask(pretrained.model, **objective),
        "translation": lambda: TranslationTask(pretrained.model, p.pad_id, p.bos_id, p.eos_id, **objective),
        "contrastive": lambda: ContrastiveTask(pretrained.model, **objective),
        "word-embedding": lambda: WordEmbeddingTask(pretrained.model),
        "gan": lambda: GANTask(pretrained.model, **objective),
    }
    if pretrained.kind not in tasks:
        raise ZooError(f"cannot evaluate a {pretrained.task} checkpoint")
    return tasks[pretrained.kind]()


def held_out_data(pretrained: Pretrained, variant: str = "embedded") -> L.LightningDataModule | None:
    """The held-out data of the checkpoint: ``embedded`` ships in the package (a subset of the
    test split its card was measured on), ``full`` is that test split (prepared or installed
    data, see docs/data.md). None for ``embedded`` when the data may not be embedded.

    The dataset is the one the checkpoint recorded (``data`` in config.yaml) or, for older
    checkpoints, the one its task was trained on: see the table in ``zoo.datasets``.
    """
    from zoo.datasets import for_checkpoint

    data = pretrained.config.get("data")
    dataset = for_checkpoint(data, pretrained.task)
    if dataset is None:
        raise ZooError(
            f"no held-out data known for this {pretrained.task} checkpoint (trained on {data or 'unrecorded data'})"
        )
    return dataset.load().held_out(pretrained.task, pretrained.preprocessing, variant)
