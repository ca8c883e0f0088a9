"""The GANs: shapes, a discriminator that learns, and the path from ``zoo run`` to ``zoo sample``."""

import json

import pytest
import torch
from PIL import Image

import zoo
from tests.conftest import ROOT, error_line
from zoo.models.gan import GAN, DCGANDiscriminator, DCGANGenerator, TransformerDiscriminator, TransformerGenerator
from zoo.pipeline.evaluate import evaluate, held_out_data

RECIPE = ROOT / "recipes" / "generative" / "dcgan_fashion_mnist.yaml"
TINY = [
    "--data.init_args.variant=embedded",
    "--trainer.max_epochs=2",
    "--trainer.limit_train_batches=15",
    "--trainer.limit_val_batches=2",
    "--trainer.log_every_n_steps=1",
    "--trainer.precision=32-true",
    "--model.init_args.val_samples=300",
    "--model.init_args.test_samples=600",
    "--model.init_args.grid_size=16",
    "--model.init_args.model.init_args.generator.init_args.width=16",
    "--model.init_args.model.init_args.discriminator.init_args.width=16",
]


@pytest.mark.parametrize(
    "generator, discriminator",
    [
        (DCGANGenerator(64, width=16), DCGANDiscriminator(width=16)),
        (
            TransformerGenerator(64, embed_dim=32, depth=1, num_heads=2),
            TransformerDiscriminator(embed_dim=32, depth=1, num_heads=2),
        ),
    ],
    ids=["dcgan", "transformer"],
)
def test_generators_make_images_in_tanh_range_and_discriminators_score_them(generator, discriminator):
    gan = GAN(generator, discriminator)
    images = gan(gan.noise(5, torch.Generator().manual_seed(0)))
    assert images.shape == (5, 1, 28, 28) and images.abs().max() <= 1
    assert discriminator(images).shape == (5,)
    assert not torch.allclose(images[0], images[1])  # different noise, different images


def test_the_transformer_generator_places_each_tokens_patch_in_its_grid_cell():
    generator = TransformerGenerator(8, img_size=8, patch_size=4, embed_dim=16, depth=1, num_heads=2)
    torch.nn.init.zeros_(generator.to_pixels.weight)
    with torch.no_grad():
        generator.to_pixels.bias.copy_(torch.arange(16.0) / 100)  # pixel (r, c) of a patch = (4r + c) / 100
    images = torch.atanh(generator(torch.randn(1, 8)))[0, 0]
    patch = (torch.arange(16.0) / 100).view(4, 4)
    for row in (0, 4):
        for col in (0, 4):
            assert torch.allclose(images[row : row + 4, col : col + 4], patch, atol=1e-5)


def test_zoo_run_trains_scores_saves_grids_and_zoo_sample_draws_from_the_checkpoint(in_tmp, capsys):
    metrics = zoo.run(RECIPE, output=in_tmp / "run", overrides=TINY)
    curve = (in_tmp / "run" / "csv").rglob("metrics.csv")
    assert metrics["test/inception_score_real"] > 8 and metrics["test/inception_score"] >= 1
    assert metrics["test/frechet_distance"] > 0
    grids = sorted((in_tmp / "run" / "samples").glob("epoch_*.png"))
    assert [g.name for g in grids] == ["epoch_000.png", "epoch_001.png"]
    assert Image.open(grids[0]).size == (2 + 4 * 30, 2 + 4 * 30)  # 16 samples, 4 x 4, 2-pixel padding
    import csv

    rows = [row for row in csv.DictReader(next(curve).open()) if row.get("train/d_loss")]
    first, last = float(rows[0]["train/d_loss"]), float(rows[-1]["train/d_loss"])
    assert first > 1.0 and last < first  # the discriminator learns to tell real from generated

    checkpoint = in_tmp / "run" / "checkpoint"
    card = json.loads((checkpoint / "metrics.json").read_text())
    model = zoo.load(checkpoint)
    measured = evaluate(model, held_out_data(model), "32-true")
    assert measured["test/inception_score"] == pytest.approx(card["test/inception_score"], abs=1e-4)
    assert torch.equal(model.sample(4, seed=3), model.sample(4, seed=3))

    from zoo.commands import main

    capsys.readouterr()
    main(["sample", str(checkpoint), "--num", "9", "--output", str(in_tmp / "grid.png")])
    assert "wrote 9 samples" in capsys.readouterr().out
    assert Image.open(in_tmp / "grid.png").size == (2 + 3 * 30, 2 + 3 * 30)
    assert "not a .png file" in error_line(["sample", str(checkpoint), "--output", str(in_tmp / "grid.jpg")], capsys)
    assert "--num must be at least 1" in error_line(
        ["sample", str(checkpoint), "--num", "0", "--output", "g.png"], capsys
    )
    assert "only a GAN samples images" in error_line(["sample", "vit-tiny-fashion-mnist", "--output", "g.png"], capsys)
    assert not (in_tmp / "g.png").exists()
