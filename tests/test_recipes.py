"""Every recipe builds, documents itself, and has its baseline twin on the same data and budget."""

from pathlib import Path

import pytest
import yaml

from zoo.pipeline.recipe import build_cli

RECIPES = sorted((Path(__file__).resolve().parents[1] / "recipes").rglob("*.yaml"))
# What a twin's trainer shares with its Transformer recipe; each recipe header says which budget.
SAME_EPOCHS = ("max_epochs", "precision", "accelerator", "devices", "strategy")
SAME_TIME_ANY_PRECISION = ("accelerator",)  # an LSTM, which bf16 autocast slows down
# Transformer recipe -> its baseline twins and the trainer keys they share.
TWINS = {
    "vit_tiny_fashion_mnist.yaml": (["resnet_fashion_mnist.yaml"], SAME_EPOCHS),
    "vit_tiny_fashion_mnist_quick.yaml": (["resnet_fashion_mnist_quick.yaml"], SAME_EPOCHS),
    "cct_tiny_fashion_mnist.yaml": (["resnet_fashion_mnist.yaml", "vit_tiny_fashion_mnist.yaml"], SAME_EPOCHS),
    "bert_tiny_rotten_tomatoes_scratch.yaml": (["bilstm_rotten_tomatoes.yaml", "gru_rotten_tomatoes.yaml"], SAME_EPOCHS),
    "gpt_tiny_web_bible.yaml": (["lstm_lm_web_bible.yaml"], SAME_TIME_ANY_PRECISION),
    "retnet_tiny_web_bible.yaml": (["gpt_tiny_web_bible.yaml"], SAME_EPOCHS),  # the attention twin
    "ast_tiny_spoken_digits_quick.yaml": (
        ["cnn_spoken_digits_quick.yaml", "ast_tiny_spoken_digits_quick_from_vit.yaml"],
        SAME_EPOCHS,
    ),
    "ast_tiny_spoken_digits_quick_from_vit.yaml": (["cnn_spoken_digits_quick.yaml"], SAME_EPOCHS),
    "ast_tiny_spoken_language.yaml": (
        ["cnn_spoken_language.yaml", "ast_tiny_spoken_language_from_vit.yaml"],
        SAME_EPOCHS,
    ),
    "ast_tiny_spoken_language_from_vit.yaml": (["cnn_spoken_language.yaml"], SAME_EPOCHS),
    "transformer_tiny_bible_en_es.yaml": (["lstm_attention_bible_en_es.yaml"], SAME_EPOCHS),
    "transformer_tiny_bible_en_es_quick.yaml": (["lstm_attention_bible_en_es_quick.yaml"], SAME_EPOCHS),
    "vatt_tiny_moving_fashion_quick.yaml": (
        ["cnn_lstm_moving_fashion_quick.yaml", "vatt_tiny_specific_moving_fashion_quick.yaml"],
        SAME_EPOCHS,
    ),
    "vatt_tiny_specific_moving_fashion_quick.yaml": (["cnn_lstm_moving_fashion_quick.yaml"], SAME_EPOCHS),
    "vatt_tiny_tuxpaint_stamps.yaml": (["cnn_lstm_tuxpaint_stamps.yaml"], SAME_EPOCHS),
    # cross-modal initialisation: the BERT-started run and its scratch control are each other's twin
    "vatt_tiny192_moving_fashion_quick_from_bert.yaml": (["vatt_tiny192_moving_fashion_quick.yaml"], SAME_EPOCHS),
    "vatt_tiny192_moving_fashion_quick.yaml": (["vatt_tiny192_moving_fashion_quick_from_bert.yaml"], SAME_EPOCHS),
    "transgan_fashion_mnist.yaml": (["dcgan_fashion_mnist.yaml"], SAME_EPOCHS),  # and the same TrainingBudget
}


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
    metrics = ("test acc", "perplexity", "test loss", "sacreBLEU", "R@", "analogy acc", "inception score")  # R@K: retrieval's recall
    assert any(metric in reaches for metric in metrics), reaches  # a measured number
    assert any(char.isdigit() for char in reaches) and "(measured below)" not in reaches, reaches


def _same_budget(recipe: dict, trainer_keys: tuple[str, ...]) -> dict:
    trainer = {k: recipe["trainer"].get(k) for k in trainer_keys}  # precision left out: auto, by hardware
    budgets = [c for c in recipe["trainer"].get("callbacks", []) if c["class_path"] == "zoo.callbacks.TrainingBudget"]
    return {"trainer": trainer, "budgets": budgets, "data": recipe["data"], "seed": recipe["seed_everything"]}


@pytest.mark.parametrize("recipe", [r for r in RECIPES if r.name in TWINS], ids=lambda p: p.name)
def test_transformer_recipe_has_a_baseline_twin_with_the_same_budget(recipe):
    twins, trainer_keys = TWINS[recipe.name]
    for name in twins:
        twin = recipe.with_name(name)
        assert twin.exists(), f"{recipe.name} has no baseline twin {twin.name}"
        ours, theirs = yaml.safe_load(recipe.read_text()), yaml.safe_load(twin.read_text())
        assert _same_budget(ours, trainer_keys) == _same_budget(theirs, trainer_keys)
    if trainer_keys != SAME_EPOCHS:  # a time budget is stated in the header
        assert "time budget" in recipe.read_text().split("\nseed_everything")[0]


def test_every_transformer_recipe_is_paired():
    transformers = {r.name for r in RECIPES if r.name.startswith(("vit_", "cct_", "bert_", "gpt_", "ast_", "transformer_", "vatt_", "transgan_", "retnet_"))}
    pretraining_and_fine_tuning = {
        "bert_tiny_mlm_rotten_tomatoes.yaml", "bert_tiny_rotten_tomatoes.yaml", "bert_tiny_mlm_english.yaml",
        "vit_tiny_mae_fashion_mnist.yaml", "gpt_tiny_english.yaml", "ast_tiny_mae_tuxpaint_audio.yaml",
    }  # fmt: skip
    assert transformers - pretraining_and_fine_tuning == set(TWINS)
