"""Write a trained model as a zoo checkpoint (weights, config, labels, preprocessing, metrics, card)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from torch import nn

from zoo.contracts import is_classifier
from zoo.data.preprocessing import Preprocessing
from zoo.errors import ZooError
from zoo.hub.build import plain
from zoo.hub.checkpoint import FORMAT, load_weights, stored_state, write_checkpoint

CARD_METRICS = (
    "test/bleu",
    "test/acc",
    "test/acc_top5",
    "test/f1_macro",
    "test/ppl",
    "test/loss",
    "test/t2v_r1",
    "test/t2v_r10",
    "test/t2v_median_rank",
    "test/v2t_r1",
    "test/v2t_r10",
    "test/a2v_r1",
    "test/a2v_r10",
    "test/a2v_median_rank",
    "test/zero_shot_acc",
    "test/analogy_acc",
    "test/analogy_coverage",
    "test/wordsim353_spearman",
    "test/simlex999_spearman",
    "test/inception_score",
    "test/inception_score_std",
    "test/inception_score_real",
    "test/frechet_distance",
    "val/acc",
    "val/f1_macro",
    "val/ppl",
)


def round_trip(model: nn.Module, dtype: str) -> None:
    """Give ``model`` exactly the weights a checkpoint stored in ``dtype`` will hold."""
    load_weights(model, stored_state(model, dtype))  # tied tensors are stored once and load through their twin


def export_checkpoint(
    path: Path,
    model: nn.Module,
    model_config: dict,
    labels: Sequence[str] | None,
    preprocessing: Preprocessing,
    metrics: dict,
    data: str,
    command: str,
    dtype: str = "float32",
    task: str = "image-classification",
    data_module: str | None = None,
    objective: dict | None = None,
) -> Path:
    """Write ``model`` as a zoo checkpoint directory at ``path`` (atomically).

    Args:
        model_config: the model's ``{class_path, init_args}`` from the recipe.
        labels: class names, index i -> labels[i]; None for a model without classes (a language model).
        metrics: measured on these very weights (after :func:`round_trip` to ``dtype``).
        data: one line on what it was trained and measured on.
        command: the command that reproduces it.
        dtype: how floating weights are stored: float32, float16 or bfloat16.
        data_module: the class path of the datamodule it was trained on, recorded as ``data``
            so that its held-out data can be found again (``zoo.pipeline.evaluate.held_out_data``).
        objective: a pretraining task's loss settings (e.g. ``{mask_ratio: 0.8, norm_pix_loss:
            true}``), recorded as ``objective`` so that its loss is measured again alike.
    """
    if is_classifier(model) and len(labels or []) != model.num_classes:
        raise ZooError(
            f"the model has {model.num_classes} classes but {len(labels or [])} labels were given; "
            "give one label per class (model.reset_classifier(len(labels)) for a new label set)"
        )
    config = {
        "format": FORMAT,
        "task": task,
        "model": plain(model_config),
        "labels": list(labels or []),
        "preprocessing": preprocessing.to_dict(),
        "weights_dtype": dtype,
    }
    if data_module:
        config["data"] = data_module
    if objective:
        config["objective"] = dict(objective)
    metrics = {**metrics, "weights_dtype": dtype}
    card = render_card(Path(path).name, config, metrics, data, command)
    return write_checkpoint(Path(path), stored_state(model, dtype), config, metrics, card, preprocessing.files())


def render_card(name: str, config: dict, metrics: dict, data: str, command: str) -> str:
    """The checkpoint's ``card.md``: what it is, its data, recipe, measured metrics, command."""
    model = config["model"]
    rows = [f"| {key} | {metrics[key]:.4f} |" for key in CARD_METRICS if isinstance(metrics.get(key), (int, float))]
    facts = [
        ("parameters", f"{metrics['params']:,}" if "params" in metrics else None),
        ("recipe", metrics.get("recipe")),
        ("training", _training_line(metrics)),
        ("weights", f"{config['weights_dtype']} safetensors"),
        ("BLEU", f"sacreBLEU, signature `{metrics['bleu_signature']}`" if metrics.get("bleu_signature") else None),
    ]
    lines = [
        f"# {name}",
        "",
        f"Task: {config['task']}. Model: `{model['class_path']}`. {_labels_line(config['labels'])}",
        "",
        f"**Data:** {data}",
        "",
        *(f"- {label}: {value}" for label, value in facts if value),
        "",
        "## Measured metrics (these weights, held-out data)",
        "",
        "| metric | value |",
        "| --- | ---: |",
        *rows,
        "",
        "## Inference input",
        "",
        "```yaml",
        *(f"{key}: {value}" for key, value in config["preprocessing"].items()),
        "```",
        "",
        "## Reproduce",
        "",
        "```",
        command,
        "```",
        "",
        f"Load it: `zoo.load(path_or_name)`; {use_line(config['task'])}.",
        "",
    ]
    return "\n".join(lines)


def use_line(task: str, name: str = "NAME") -> str:
    """How a checkpoint of ``task`` (its config's, e.g. ``text-causal-lm``) called ``name`` is
    used from the command line."""
    if task.endswith("classification"):
        return f"predict: `zoo predict {name} FILE...`"
    if task.endswith("causal-lm"):
        return f"generate: `zoo generate {name} --prompt TEXT`"
    if task.endswith("translation"):
        return f'translate: `zoo translate {name} "TEXT"`'
    if task.endswith("contrastive"):
        return (
            f'classify a clip zero-shot: `zoo predict {name} CLIP.mp4 --labels "a bag,a sneaker"`; '
            f'rank a folder of clips: `zoo retrieve {name} --query "a bag slides left" --gallery DIR`'
        )
    if task.endswith("gan"):
        return f"sample: `zoo sample {name} --num 64 --output grid.png`"
    if task.endswith("word-embedding"):
        return (
            f"neighbours: `zoo neighbours {name} WORD`; analogies: `zoo analogy {name} man woman king`; "
            f"word2vec text: `zoo vectors {name} --output vectors.txt`"
        )
    return f"fine-tune it on labelled data: `zoo finetune {name} --data DATA --output DIR`"  # masked LM, MAE


def _labels_line(labels: list) -> str:
    if not labels:
        return ""
    shown = ", ".join(map(str, labels[:12])) + (", ..." if len(labels) > 12 else "")
    return f"{len(labels)} labels ({shown})."


def _training_line(metrics: dict) -> str | None:
    if "train_seconds" not in metrics:
        return None
    return (
        f"{metrics.get('epochs', '?')} epochs, {metrics['train_seconds'] / 60:.1f} min of training on "
        f"{metrics.get('machine', '?')}, {metrics.get('precision', '?')}"
    )
