"""``zoo export RUN_DIR``: re-export a finished run's best weights (e.g. in float16)."""

from __future__ import annotations

from collections.abc import Sequence

from zoo.commands.base import ArgumentParser
from zoo.commands.run import print_table
from zoo.hub.files import WEIGHT_DTYPES


def main(argv: Sequence[str]) -> dict:
    parser = ArgumentParser(prog="zoo export")
    parser.add_argument("run", help="a zoo run folder (holding metrics.json), e.g. runs/vit_tiny_fashion_mnist")
    parser.add_argument("--output", help="where the zoo checkpoint goes (default: RUN/checkpoint)")
    parser.add_argument("--weights-dtype", default="float32", choices=WEIGHT_DTYPES)
    args = parser.parse_args(argv)
    from zoo.pipeline.run import export

    metrics = export(args.run, args.output, args.weights_dtype)
    print_table(metrics)
    return metrics
