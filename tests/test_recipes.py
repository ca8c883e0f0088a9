"""Every recipe builds, documents itself, and has its baseline twin on the same data and budget."""

from pathlib import Path

import pytest
import yaml

from zoo.cli import build_cli

RECIPES = sorted((Path(__file__).resolve().parents[1] / "recipes").rglob("*.yaml"))
TRANSFORMER_PREFIX, BASELINE_PREFIX = "vit_tiny_", "resnet_"


def test_there_are_recipes():
    assert len(RECIPES) >= 4


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.name)
def test_recipe_builds_its_model_trainer_and_data(recipe, in_tmp):
    cli = build_cli(["--config", str(recipe)], run=False)
    assert sum(p.numel() for p in cli.model.parameters()) > 0 and cli.datamodule is not None
    assert cli.trainer.max_epochs >= 1


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.name)
def test_header_says_what_it_reaches_and_the_exact_command(recipe):
    header = [line for line in recipe.read_text().splitlines() if line.startswith("#")]
    text = "\n".join(header)
    relative = recipe.relative_to(recipe.parents[2]).as_posix()
    assert f"# Command: zoo run {relative}" in text
    reaches = next(line for line in header if line.startswith("# Reaches:"))
    assert "test acc" in reaches and "MEASURED" not in reaches, reaches  # a measured number, not a placeholder


def _same_budget(recipe: dict) -> dict:
    trainer = {k: recipe["trainer"][k] for k in ("max_epochs", "precision", "accelerator", "devices", "strategy")}
    return {"trainer": trainer, "data": recipe["data"], "seed": recipe["seed_everything"]}


@pytest.mark.parametrize("recipe", [r for r in RECIPES if r.name.startswith(TRANSFORMER_PREFIX)], ids=lambda p: p.name)
def test_transformer_recipe_has_a_baseline_twin_with_the_same_budget(recipe):
    twin = recipe.with_name(recipe.name.replace(TRANSFORMER_PREFIX, BASELINE_PREFIX))
    assert twin.exists(), f"{recipe.name} has no baseline twin {twin.name}"
    ours, theirs = yaml.safe_load(recipe.read_text()), yaml.safe_load(twin.read_text())
    assert _same_budget(ours) == _same_budget(theirs)
