"""``zoo run RECIPE``: fit, test the best validation checkpoint, write and print the metrics."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Sequence
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.trainer.states import TrainerFn

from zoo.cli import ArgumentParser, build_cli
from zoo.data.cache import write_atomically
from zoo.errors import ZooError
from zoo.hub.checkpoint import DTYPES, check_destination
from zoo.hub.export import export_checkpoint, round_trip


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
        self.samples += len(batch[-1]) * trainer.world_size

    def state_dict(self) -> dict:
        """Saved in Lightning checkpoints, so a resumed run reports its whole training time."""
        return {"seconds": self.seconds, "samples": self.samples}

    def load_state_dict(self, state: dict) -> None:
        self.seconds, self.samples = state["seconds"], state["samples"]


def run_main(argv: Sequence[str]) -> dict:
    parser = ArgumentParser(prog="zoo run")
    parser.add_argument("recipe", help="a recipe YAML, e.g. recipes/vision/vit_tiny_fashion_mnist_quick.yaml")
    parser.add_argument("--output", help="the run's folder (default: runs/<recipe name>)")
    parser.add_argument("--resume", action="store_true", help="continue from OUTPUT/lightning/last.ckpt")
    parser.add_argument(
        "--weights-dtype", default="float32", choices=list(DTYPES), help="how the zoo checkpoint stores weights"
    )
    args, overrides = parser.parse_known_args(argv)
    recipe = Path(args.recipe)
    if not recipe.is_file():
        raise ZooError(f"recipe {recipe} does not exist; see recipes/ for the shipped ones")
    output = Path(args.output) if args.output else Path("runs") / recipe.stem
    return run(recipe, output, overrides, resume=args.resume, weights_dtype=args.weights_dtype)


def run(
    recipe: Path,
    output: Path,
    overrides: Sequence[str] = (),
    resume: bool = False,
    weights_dtype: str = "float32",
) -> dict:
    """Fit the recipe, test its best checkpoint on held-out data, export it.

    Writes into ``output``: ``recipe.yaml`` (the recipe as resolved, overrides included),
    ``lightning/`` (training state: ``last.ckpt``, the best), ``metrics.json`` and the zoo
    checkpoint ``checkpoint/``.
    """
    check_destination(output / "checkpoint")
    state_dir = (output / "lightning").resolve()
    if resume and not (state_dir / "last.ckpt").is_file():
        raise ZooError(
            f"nothing to resume: {state_dir / 'last.ckpt'} does not exist; run without --resume to start afresh"
        )
    cli = build_cli(["--config", str(recipe), *overrides], run=False)
    trainer, task, data = cli.trainer, cli.model, cli.datamodule
    for callback in trainer.checkpoint_callbacks:
        callback.dirpath = str(state_dir)  # where --resume looks; absolute, so the paths in metrics.json hold anywhere
    last = state_dir / "last.ckpt"
    if trainer.is_global_zero:
        resolved = cli.parser.dump(cli.config, skip_none=False)
        write_atomically(output / "recipe.yaml", lambda f: f.write(resolved.encode()))
    clock = TrainClock()
    trainer.callbacks.append(clock)
    start = time.perf_counter()
    trainer.fit(task, datamodule=data, ckpt_path=str(last) if resume else None, weights_only=False)
    fit_seconds = time.perf_counter() - start
    best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
    training = {
        "epochs": trainer.current_epoch,
        "steps": trainer.global_step,
        "train_seconds": round(clock.seconds, 1),
        "fit_seconds": round(fit_seconds, 1),
        "train_samples_per_second": round(clock.samples / max(clock.seconds, 1e-9), 1),
        "resumed": resume,
    }
    return test_and_export(cli, recipe, output, best, training, weights_dtype)


def test_and_export(
    cli, recipe: Path, output: Path, ckpt: str, training: dict, weights_dtype: str, checkpoint: Path | None = None
) -> dict:
    """Test the weights of Lightning checkpoint ``ckpt`` as they will be stored, write
    ``output/metrics.json`` and the zoo checkpoint (default ``output/checkpoint``)."""
    trainer, task, data = cli.trainer, cli.model, cli.datamodule
    if ckpt:  # the run's own training state (a pickle we wrote), never a downloaded zoo checkpoint
        task.load_state_dict(torch.load(ckpt, map_location="cpu", weights_only=False)["state_dict"])
    round_trip(task.model, weights_dtype)
    tested = trainer.test(task, datamodule=data, verbose=False)[0]
    metrics = {
        "recipe": str(recipe),
        **{name: round(float(value), 6) for name, value in tested.items()},
        "params": sum(p.numel() for p in task.parameters()),
        "precision": str(trainer.precision),
        "devices": trainer.world_size,
        "machine": _machine(trainer),
        **training,  # from the training run: its machine, not this process's, when re-exporting
        "best_checkpoint": ckpt,
    }
    if getattr(task, "confusion_matrix", None) is not None:
        metrics["confusion_matrix"] = task.confusion_matrix.tolist()
    if trainer.is_global_zero:
        path = output / "metrics.json"
        if checkpoint is None:  # the run's own checkpoint: its metrics.json describes the same weights
            write_atomically(path, lambda f: f.write((json.dumps(metrics, indent=2) + "\n").encode()))
        written = _export(cli, recipe, checkpoint or output / "checkpoint", metrics, weights_dtype)
        _print_table(metrics, path if checkpoint is None else written / "metrics.json", written)
    return metrics


def _export(cli, recipe: Path, path: Path, metrics: dict, weights_dtype: str) -> Path | None:
    data, kind = cli.datamodule, getattr(cli.model, "checkpoint_task", "classification")
    if getattr(data, "preprocessing", None) is None or (
        kind == "classification" and not getattr(data, "classes", None)
    ):
        print(f"no zoo checkpoint written: {type(data).__name__} names no preprocessing or no classes")
        return None
    model_config = cli.config.as_dict()["model"]["init_args"]["model"]
    command = f"zoo run {recipe}" + (f" --weights-dtype {weights_dtype}" if weights_dtype != "float32" else "")
    description = getattr(data, "description", type(data).__name__)
    return export_checkpoint(
        path,
        cli.model.model,
        model_config,
        getattr(data, "classes", None),
        data.preprocessing,
        metrics,
        description,
        command,
        weights_dtype,
        task=f"{data.preprocessing.kind}-{kind}",
        data_module=f"{type(data).__module__}.{type(data).__qualname__}",
    )


def export_main(argv: Sequence[str]) -> dict:
    """``zoo export RUN_DIR``: re-export a finished run's best weights (e.g. in float16)."""
    parser = ArgumentParser(prog="zoo export")
    parser.add_argument("run", help="a zoo run folder (holding metrics.json), e.g. runs/vit_tiny_fashion_mnist")
    parser.add_argument("--output", help="where the zoo checkpoint goes (default: RUN/checkpoint)")
    parser.add_argument("--weights-dtype", default="float32", choices=list(DTYPES))
    args = parser.parse_args(argv)
    run_dir = Path(args.run)
    if not (run_dir / "metrics.json").is_file():
        raise ZooError(f"{run_dir}/metrics.json does not exist; give the folder of a finished zoo run")
    previous = json.loads((run_dir / "metrics.json").read_text())
    recipe = run_dir / "recipe.yaml" if (run_dir / "recipe.yaml").is_file() else Path(previous["recipe"])
    ckpt = previous.get("best_checkpoint") or ""
    if not Path(ckpt).is_file():
        raise ZooError(f"the run's best checkpoint {ckpt!r} does not exist; nothing to export")
    cli = build_cli(["--config", str(recipe)], run=False)
    keep = (
        "epochs",
        "steps",
        "train_seconds",
        "fit_seconds",
        "train_samples_per_second",
        "resumed",
        "devices",
        "machine",
    )
    training = {key: previous[key] for key in keep if key in previous}
    checkpoint = check_destination(Path(args.output)) if args.output else None
    return test_and_export(cli, Path(previous["recipe"]), run_dir, ckpt, training, args.weights_dtype, checkpoint)


def _machine(trainer: L.Trainer) -> str:
    if torch.cuda.is_available() and trainer.strategy.root_device.type == "cuda":
        return f"{trainer.world_size}x {torch.cuda.get_device_name(0)}"
    return f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def _print_table(metrics: dict, path: Path, checkpoint: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"zoo run {metrics['recipe']}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in metrics.items():
        if name not in ("recipe", "confusion_matrix", "best_checkpoint"):
            table.add_row(name, f"{value:.4f}" if isinstance(value, float) and value < 1.5 else str(value))
    console = Console()
    console.print(table)
    console.print(f"metrics written to {path}")
    if checkpoint is not None:
        console.print(f"zoo checkpoint written to {checkpoint} (zoo predict {checkpoint} FILE...)")
