"""The one training pipeline: fit a recipe, test its best checkpoint on held-out data, export it.

Every run goes through :func:`run`, a shipped recipe (``zoo run``) and a fine-tune
(``zoo finetune``, whose recipe :mod:`zoo.pipeline.finetune` builds from a checkpoint)
alike: the same testing of the best validation weights as they will be stored, the same
``metrics.json``, zoo checkpoint, loggers, progress bar and ``resume``.

    >>> import zoo
    >>> metrics = zoo.run("recipes/vision/vit_tiny_fashion_mnist_quick.yaml", output="runs/quick")
    >>> metrics["test/acc"]
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import lightning as L
import torch

from zoo.callbacks import ReportsMetrics, RestoreRNG, TrainClock
from zoo.data.arrays import SplitsDataModule
from zoo.data.cache import write_atomically
from zoo.errors import ZooError
from zoo.hub.checkpoint import check_destination
from zoo.hub.export import export_checkpoint, round_trip
from zoo.pipeline.recipe import Recipe, build_cli
from zoo.precision import cpu_description
from zoo.run_plots import write_run_plots

# metrics.json keys that a re-export measures anew; every other key (training time, epochs,
# what a fine-tune started from) is the training run's and is kept.
REMEASURED = ("recipe", "params", "precision", "best_checkpoint", "confusion_matrix", "weights_dtype", "bleu_signature")

def run(
    recipe: Recipe,
    output: str | Path | None = None,
    overrides: Sequence[str] = (),
    resume: bool = False,
    weights_dtype: str = "float32",
    *,
    checkpoint: str | Path | None = None,
    command: str | None = None,
    provenance: str | None = None,
    extra_metrics: Mapping | None = None,
) -> dict:
    """Fit ``recipe``, test its best checkpoint on held-out data, export a zoo checkpoint.

    Args:
        recipe: a recipe YAML file, or a recipe as a dict (``zoo.pipeline.finetune``).
        output: the run's folder (default ``runs/<recipe name>``). It receives
            ``recipe.yaml`` (the recipe as resolved, overrides included), ``lightning/``
            (training state: ``last.ckpt`` and the best), the CSV and TensorBoard logs,
            ``metrics.json`` and the zoo checkpoint ``checkpoint/``.
        overrides: ``--key=value`` changes to the recipe, as on the command line.
        resume: continue a killed run from ``output/lightning/last.ckpt``.
        weights_dtype: how the checkpoint stores weights (float32, float16, bfloat16); the
            test measures the weights so stored.
        checkpoint: where the zoo checkpoint goes (default ``output/checkpoint``).
        command: the command the card gives to reproduce it (default ``zoo run RECIPE``).
        provenance: appended to the card's line on the data (e.g. "fine-tuned from X").
        extra_metrics: written into ``metrics.json`` beside the measured ones.

    Returns:
        The metrics written to ``metrics.json``.
    """
    from_dict = isinstance(recipe, Mapping)
    output = Path(output) if output is not None else Path("runs") / ("finetune" if from_dict else Path(recipe).stem)
    checkpoint = check_destination(Path(checkpoint) if checkpoint else output / "checkpoint")
    state_dir = (output / "lightning").resolve()
    last = state_dir / "last.ckpt"
    if resume and not last.is_file():
        raise ZooError(f"nothing to resume: {last} does not exist; run without --resume to start afresh")
    with _removed_if_it_fails_early(output, last):
        cli = build_cli(dict(recipe) if from_dict else ["--config", str(recipe), *overrides], run=False, output=output)
        trainer = cli.trainer
        for callback in trainer.checkpoint_callbacks:
            callback.dirpath = str(state_dir)  # where resume looks; absolute, so metrics.json's paths hold anywhere
        if trainer.is_global_zero:
            resolved = cli.parser.dump(cli.config, skip_none=False)
            write_atomically(output / "recipe.yaml", lambda f: f.write(resolved.encode()))
        trainer.callbacks.extend([TrainClock(), RestoreRNG()])
        start = time.perf_counter()
        trainer.fit(cli.model, datamodule=cli.datamodule, ckpt_path=str(last) if resume else None, weights_only=False)
        training = {
            "epochs": trainer.current_epoch,
            "steps": trainer.global_step,
            "fit_seconds": round(time.perf_counter() - start, 1),
            **callback_metrics(trainer),
            "resumed": resume,
            **(extra_metrics or {}),
        }
        best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
        source = str(output / "recipe.yaml") if from_dict else str(recipe)
        return test_and_export(cli, source, output, best, training, weights_dtype, checkpoint, command, provenance)


@contextmanager
def _removed_if_it_fails_early(output: Path, last: Path) -> Iterator[None]:
    """Remove ``output`` if this run created it and fails before any training state (``last``)
    exists: a bad recipe or an unreadable file leaves nothing half-written. Later failures
    keep the folder, for ``--resume``."""
    created = not output.exists()
    try:
        yield
    except BaseException:
        if created and not last.exists():
            shutil.rmtree(output, ignore_errors=True)
        raise


def callback_metrics(trainer: L.Trainer) -> dict:
    """What the run's callbacks report (:class:`zoo.callbacks.ReportsMetrics`)."""
    metrics: dict = {}
    for callback in trainer.callbacks:
        if isinstance(callback, ReportsMetrics):
            metrics.update(callback.metrics())
    return metrics


def test_and_export(
    cli,
    recipe: str,
    output: Path,
    ckpt: str,
    training: dict,
    weights_dtype: str,
    checkpoint: Path | None = None,
    command: str | None = None,
    provenance: str | None = None,
) -> dict:
    """Test the weights of Lightning checkpoint ``ckpt`` as they will be stored, write
    ``output/metrics.json`` and the zoo checkpoint (default ``output/checkpoint``)."""
    trainer, task, data = cli.trainer, cli.model, cli.datamodule
    if ckpt:  # the run's own training state (a pickle we wrote), never a downloaded zoo checkpoint
        task.load_state_dict(torch.load(ckpt, map_location="cpu", weights_only=False)["state_dict"])
    round_trip(task.model, weights_dtype)
    tested = trainer.test(task, datamodule=data, verbose=False)[0]
    split = data.held_out_split if isinstance(data, SplitsDataModule) else "test"  # a folder without test/: val
    metrics = {
        "recipe": recipe,
        **{name.replace("test/", f"{split}/", 1): round(float(value), 6) for name, value in tested.items()},
        "params": sum(p.numel() for p in task.parameters()),
        "precision": str(trainer.precision),
        "devices": trainer.world_size,
        "machine": _machine(trainer),
        "cpu": cpu_description(),
        **training,  # from the training run: its machine, not this process's, when re-exporting
        "best_checkpoint": ckpt,
    }
    if getattr(task, "bleu_signature", None):
        metrics["bleu_signature"] = task.bleu_signature
    if getattr(task, "confusion_matrix", None) is not None:
        metrics["confusion_matrix"] = task.confusion_matrix.tolist()
    if trainer.is_global_zero:
        write_atomically(output / "metrics.json", lambda f: f.write((json.dumps(metrics, indent=2) + "\n").encode()))
        command = command or f"zoo run {recipe}" + (
            f" --weights-dtype {weights_dtype}" if weights_dtype != "float32" else ""
        )
        written = _export(cli, checkpoint or output / "checkpoint", metrics, weights_dtype, command, provenance)
        metrics["checkpoint"] = str(written) if written else None
        write_run_plots(output, metrics, getattr(data, "classes", None))
    return metrics


def _export(cli, path: Path, metrics: dict, weights_dtype: str, command: str, provenance: str | None) -> Path | None:
    data, kind = cli.datamodule, getattr(cli.model, "checkpoint_task", "classification")
    if getattr(data, "preprocessing", None) is None or (
        kind == "classification" and not getattr(data, "classes", None)
    ):
        print(f"no zoo checkpoint written: {type(data).__name__} names no preprocessing or no classes")
        return None
    model_config = cli.config.as_dict()["model"]["init_args"]["model"]
    description = getattr(data, "description", type(data).__name__)
    labels = getattr(data, "classes", None) if getattr(cli.model, "keeps_labels", True) else None
    return export_checkpoint(
        path,
        cli.model.model,
        model_config,
        labels,
        data.preprocessing,
        metrics,
        description + (f"; {provenance}" if provenance else ""),
        command,
        weights_dtype,
        task=f"{data.preprocessing.kind}-{kind}",
        data_module=f"{type(data).__module__}.{type(data).__qualname__}",
        objective=getattr(cli.model, "objective", None),
    )


def export(run_dir: str | Path, output: str | Path | None = None, weights_dtype: str = "float32") -> dict:
    """Re-export a finished run's best weights (e.g. in float16), measured again as stored.

    Args:
        run_dir: the folder of a finished run (holding ``metrics.json``).
        output: where the zoo checkpoint goes (default ``run_dir/checkpoint``).
        weights_dtype: float32, float16 or bfloat16.
    """
    run_dir = Path(run_dir)
    if not (run_dir / "metrics.json").is_file():
        raise ZooError(f"{run_dir}/metrics.json does not exist; give the folder of a finished zoo run")
    previous = json.loads((run_dir / "metrics.json").read_text())
    recipe = run_dir / "recipe.yaml" if (run_dir / "recipe.yaml").is_file() else Path(previous["recipe"])
    ckpt = previous.get("best_checkpoint") or ""
    if not Path(ckpt).is_file():
        raise ZooError(f"the run's best checkpoint {ckpt!r} does not exist; nothing to export")
    cli = build_cli(["--config", str(recipe)], run=False)
    training = {
        key: value
        for key, value in previous.items()
        if key not in REMEASURED and not key.startswith(("test/", "val/"))
    }
    checkpoint = check_destination(Path(output)) if output else None
    return test_and_export(cli, previous["recipe"], run_dir, ckpt, training, weights_dtype, checkpoint)


def _machine(trainer: L.Trainer) -> str:
    if torch.cuda.is_available() and trainer.strategy.root_device.type == "cuda":
        return f"{trainer.world_size}x {torch.cuda.get_device_name(0)}"
    return f"{torch.get_num_threads()} CPU threads"
