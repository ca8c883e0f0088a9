"""Fine-tuning a translation checkpoint on the user's sentence pairs, as a recipe:
``zoo.data.translation.PairsFileDataModule`` read with the checkpoint's own tokenizer, the
whole model trained from its weights by ``TranslationTask``. ``zoo.pipeline.finetune``
dispatches a translation checkpoint here.
"""

from __future__ import annotations

from pathlib import Path

from zoo.errors import ZooError
from zoo.hub.pretrained import Pretrained
from zoo.pipeline.finetune_settings import FinetuneSettings, trainer_settings, training_callbacks


def translation_recipe(
    pretrained: Pretrained, folder: Path, data: str | Path, settings: FinetuneSettings
) -> tuple[dict, str]:
    """The recipe that fine-tunes translation checkpoint ``pretrained`` on the user's sentence
    pairs (``zoo.data.translation.PairsFileDataModule`` with the checkpoint's tokenizer): the
    whole model trains, from the checkpoint's weights, with its beam settings for BLEU."""
    refused = {
        "freeze": settings.freeze != "none",
        "new head": settings.new_head,
        "layer decay": settings.layer_decay is not None,
        "augment": settings.augment is not None,
        "text and label columns": (settings.text_column, settings.label_column) != ("text", "label"),
    }
    if given := [name for name, is_set in refused.items() if is_set]:
        raise ZooError(f"{', '.join(given)}: classifier settings; a translation model fine-tunes whole, leave them out")
    context = pretrained.preprocessing.max_len
    if settings.max_len is not None and settings.max_len > context:
        raise ZooError(f"max len {settings.max_len} is longer than the model's {context} tokens; give at most {context}")
    callbacks = training_callbacks(settings, folder, {"monitor": "val/loss", "mode": "min"}, new_head=False)
    p = pretrained.preprocessing
    objective = pretrained.config.get("objective") or {}
    task = {
        "model": pretrained.config["model"],
        "pad_id": p.pad_id,
        "bos_id": p.bos_id,
        "eos_id": p.eos_id,
        "label_smoothing": 0.1 if settings.label_smoothing is None else settings.label_smoothing,
        "num_beams": objective.get("num_beams", 4),
        "length_penalty": objective.get("length_penalty", 1.0),
        "bleu_batches": 4,
        "optimizer": {"class_path": "torch.optim.AdamW", "init_args": {"lr": settings.lr, "betas": [0.9, 0.98], "weight_decay": 0.01}},
        "lr_scheduler": {"class_path": "zoo.tasks.schedules.WarmupCosineLR", "init_args": {"warmup_fraction": 0.1}},
    }  # fmt: skip
    data_args = {
        "root": str(Path(data).resolve()),
        "val_fraction": settings.val_fraction,
        "tokenizer": str(folder),
        "max_len": settings.max_len or context,
        "batch_size": settings.batch_size,
        "seed": settings.seed,
    }
    recipe = {
        "seed_everything": settings.seed,
        "trainer": {**trainer_settings(settings), "callbacks": callbacks},
        "model": {"class_path": "zoo.tasks.translation.TranslationTask", "init_args": task},
        "data": {"class_path": "zoo.data.translation.PairsFileDataModule", "init_args": data_args},
    }
    return recipe, f"the whole translation model trains on {Path(data).name}'s pairs, with the checkpoint's tokenizer"
