"""``zoo fit|validate|test|predict --config RECIPE``: Lightning's commands on a recipe, as LightningCLI runs them."""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str]) -> None:
    from zoo.pipeline.recipe import build_cli

    build_cli(argv, run=True)
