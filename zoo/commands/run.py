"""``zoo run RECIPE``: fit, test the best validation checkpoint, export it, print the metrics."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from zoo.commands.base import ArgumentParser
from zoo.errors import ZooError
from zoo.hub.files import WEIGHT_DTYPES


def main(argv: Sequence[str]) -> dict:
    parser = ArgumentParser(prog="zoo run")
    parser.add_argument("recipe", help="a recipe YAML, e.g. recipes/vision/vit_tiny_fashion_mnist_quick.yaml")
    parser.add_argument("--output", help="the run's folder (default: runs/<recipe name>)")
    parser.add_argument("--resume", action="store_true", help="continue from OUTPUT/lightning/last.ckpt")
    parser.add_argument("--weights-dtype", default="float32", choices=WEIGHT_DTYPES, help="how the zoo checkpoint stores weights")
    args, overrides = parser.parse_known_args(argv)
    recipe = Path(args.recipe)
    if not recipe.is_file():
        raise ZooError(f"recipe {recipe} does not exist; see recipes/ for the shipped ones")
    from zoo.pipeline.run import run

    metrics = run(recipe, args.output, overrides, resume=args.resume, weights_dtype=args.weights_dtype)
    print_table(metrics)
    return metrics


def print_table(metrics: dict) -> None:
    """The metrics of a finished run, and where they and its checkpoint were written."""
    import yaml
    from rich.console import Console
    from rich.table import Table

    from zoo.hub.export import use_line

    table = Table(title=f"zoo run {metrics['recipe']}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in metrics.items():
        if name not in ("recipe", "confusion_matrix", "best_checkpoint", "checkpoint", "reinitialised_tensors"):
            table.add_row(name, f"{value:.4f}" if isinstance(value, float) and value < 1.5 else str(value))
    console = Console()
    console.print(table)
    if metrics.get("checkpoint"):
        task = yaml.safe_load((Path(metrics["checkpoint"]) / "config.yaml").read_text())["task"]
        console.print(f"zoo checkpoint written to {metrics['checkpoint']}; {use_line(task, metrics['checkpoint'])}", soft_wrap=True)
