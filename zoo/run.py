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


def run_main(argv: Sequence[str]) -> dict:
    parser = ArgumentParser(prog="zoo run")
    parser.add_argument("recipe", help="a recipe YAML, e.g. recipes/vision/vit_tiny_fashion_mnist_quick.yaml")
    parser.add_argument("--output", help="where metrics.json goes (default: runs/<recipe name>)")
    args, overrides = parser.parse_known_args(argv)
    recipe = Path(args.recipe)
    if not recipe.is_file():
        raise ZooError(f"recipe {recipe} does not exist; see recipes/ for the shipped ones")
    output = Path(args.output) if args.output else Path("runs") / recipe.stem
    return run(recipe, output, overrides)


def run(recipe: Path, output: Path, overrides: Sequence[str] = ()) -> dict:
    """Fit the recipe, test its best checkpoint on held-out data, write ``output/metrics.json``."""
    cli = build_cli(["--config", str(recipe), *overrides], run=False)
    trainer, task, data = cli.trainer, cli.model, cli.datamodule
    clock = TrainClock()
    trainer.callbacks.append(clock)
    start = time.perf_counter()
    trainer.fit(task, datamodule=data)
    fit_seconds = time.perf_counter() - start
    best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
    tested = trainer.test(task, datamodule=data, ckpt_path=best or None, weights_only=False)[0]
    metrics = {
        "recipe": str(recipe),
        **{name: round(float(value), 6) for name, value in tested.items()},
        "params": sum(p.numel() for p in task.parameters()),
        "epochs": trainer.current_epoch,
        "steps": trainer.global_step,
        "train_seconds": round(clock.seconds, 1),
        "fit_seconds": round(fit_seconds, 1),
        "train_samples_per_second": round(clock.samples / max(clock.seconds, 1e-9), 1),
        "precision": str(trainer.precision),
        "devices": trainer.world_size,
        "machine": _machine(trainer),
        "best_checkpoint": best,
    }
    if getattr(task, "confusion_matrix", None) is not None:
        metrics["confusion_matrix"] = task.confusion_matrix.tolist()
    if trainer.is_global_zero:
        path = output / "metrics.json"
        write_atomically(path, lambda f: f.write((json.dumps(metrics, indent=2) + "\n").encode()))
        _print_table(metrics, path)
    return metrics


def _machine(trainer: L.Trainer) -> str:
    if torch.cuda.is_available() and trainer.strategy.root_device.type == "cuda":
        return f"{trainer.world_size}x {torch.cuda.get_device_name(0)}"
    return f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def _print_table(metrics: dict, path: Path) -> None:
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
