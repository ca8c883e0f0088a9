"""Masked-patch pretraining (MAE): patch targets, which patches are seen and scored, and a
micro pretraining run that zoo finetune turns into a classifier."""

import json

import pytest
import torch

from tests.conftest import make_image_folder
from zoo.backbone.transformer import Transformer
from zoo.errors import ZooError
from zoo.frontends.audio import SpectrogramPatchEmbed
from zoo.frontends.image import PatchEmbed
from zoo.frontends.text import TokenEmbed
from zoo.heads.masked_patches import MaskedPatchDecoder
from zoo.models.unimodal import UnimodalModel
from zoo.tasks.masked_autoencoder import MaskedAutoencoderTask


def image_mae(mask_ratio=0.75):
    frontend = PatchEmbed(img_size=28, patch_size=8, stride=5, in_chans=1, embed_dim=32)
    head = MaskedPatchDecoder(embed_dim=32, patch_dim=64, decoder_dim=16, depth=1, num_heads=2)
    return MaskedAutoencoderTask(UnimodalModel(frontend, Transformer(32, 1, 2), head), mask_ratio=mask_ratio)


def test_patch_values_are_the_pixels_each_token_reads():
    frontend = PatchEmbed(img_size=28, patch_size=8, stride=5, in_chans=1, embed_dim=32)
    x = torch.randn(2, 1, 28, 28)
    values = frontend.patch_values(x)  # (B, 25, 64)
    assert values.shape == (2, 25, 64)
    row, col = 3, 1  # token 3 * 5 + 1, row-major like the tokens
    assert torch.equal(values[:, 16], x[:, :, row * 5 : row * 5 + 8, col * 5 : col * 5 + 8].flatten(1))


def test_a_quarter_of_the_patches_is_seen_and_the_rest_scored():
    task = image_mae()
    predicted, target, scored = task(torch.randn(3, 1, 28, 28), torch.Generator().manual_seed(0))
    assert predicted.shape == target.shape == (3, 25, 64)
    assert scored.sum(1).tolist() == [19, 19, 19]  # 25 patches, round(25 * 0.25) = 6 kept
    assert torch.allclose(target.mean(-1), torch.zeros(3, 25), atol=1e-5)  # each patch normalised


class PassThrough(torch.nn.Module):
    def forward(self, x, key_padding_mask=None):
        return x


def test_the_decoder_puts_every_patch_back_in_its_place():
    """With encoder and decoder blocks passing tokens through, the prediction at a kept
    position is that patch's own token, and at a dropped one the mask token (plus positions)."""
    from zoo.frontends.position import sincos_2d

    task = image_mae(mask_ratio=0.5)
    task.model.backbone, task.model.head.decoder = PassThrough(), PassThrough()
    head = task.model.head
    x = torch.randn(2, 1, 28, 28)
    predicted, _, scored = task(x, torch.Generator().manual_seed(1))
    tokens = task.model.frontend(x)[:, 1:]  # (B, 25, D) patch tokens, positions added
    positions = sincos_2d(5, 5, 16)[None]
    expected = torch.where(
        scored[..., None], head.mask_token.expand(2, 25, -1), head.embed(tokens)
    )  # fmt: skip
    assert torch.allclose(predicted, head.pred(expected + positions), atol=1e-6)
    again, _, same = task(x, torch.Generator().manual_seed(1))
    assert torch.equal(predicted, again) and torch.equal(scored, same)  # one seed, one mask (val and test)


def test_clip_padding_is_never_seen_nor_scored():
    frontend = SpectrogramPatchEmbed(max_seconds=1.0, n_mels=32, patch_size=8, embed_dim=32)
    head = MaskedPatchDecoder(embed_dim=32, patch_dim=64, decoder_dim=16, depth=1, num_heads=2)
    task = MaskedAutoencoderTask(UnimodalModel(frontend, Transformer(32, 1, 2), head), mask_ratio=0.5)
    waves = torch.randn(2, 16000) * 0.1
    waves[1, 8000:] = 0  # the second clip is half as long: its later time columns are padding
    padding = task.model.padding_mask(waves)[:, 1:]
    predicted, target, scored = task(waves, torch.Generator().manual_seed(0))
    assert padding[1].any() and not (scored & padding).any()
    assert predicted.shape == target.shape == (2, padding.shape[1], 64)


def test_a_front_end_without_patches_is_one_line():
    model = UnimodalModel(TokenEmbed(100, 32), Transformer(32, 1, 2), MaskedPatchDecoder(32, 8, 16, 1, 2))
    with pytest.raises(ZooError, match="has no patch_values"):
        MaskedAutoencoderTask(model)


MICRO_MAE = {
    "seed_everything": 0,
    "trainer": {"max_epochs": 1, "precision": "32-true", "limit_train_batches": 4, "limit_val_batches": 2,
                "limit_test_batches": 2, "logger": False, "enable_progress_bar": False},  # fmt: skip
    "model": {
        "class_path": "zoo.tasks.masked_autoencoder.MaskedAutoencoderTask",
        "init_args": {
            "mask_ratio": 0.6,
            "model": {
                "class_path": "zoo.models.unimodal.UnimodalModel",
                "init_args": {
                    "frontend": {"class_path": "zoo.frontends.image.PatchEmbed",
                                 "init_args": {"img_size": 28, "patch_size": 7, "in_chans": 1, "embed_dim": 32}},
                    "backbone": {"class_path": "zoo.backbone.transformer.Transformer",
                                 "init_args": {"embed_dim": 32, "depth": 1, "num_heads": 2}},
                    "head": {"class_path": "zoo.heads.masked_patches.MaskedPatchDecoder",
                             "init_args": {"embed_dim": 32, "patch_dim": 49, "decoder_dim": 16, "depth": 1,
                                           "num_heads": 2}},
                },
            },
        },
    },
    "data": {"class_path": "zoo.datasets.fashion_mnist.FashionMNISTDataModule", "init_args": {"batch_size": 32}},
}  # fmt: skip


@pytest.mark.slow
def test_pretrain_then_finetune_a_classifier_from_the_encoder(in_tmp):
    import zoo

    metrics = zoo.run(MICRO_MAE, output=in_tmp / "mae")
    assert metrics["test/loss"] > 0
    config = (in_tmp / "mae" / "checkpoint" / "config.yaml").read_text()
    assert "task: image-masked-autoencoder" in config
    from zoo.pipeline.evaluate import task_for

    pretrained = zoo.load(in_tmp / "mae" / "checkpoint")  # its loss is measured again with its own mask ratio
    assert pretrained.config["objective"] == {"mask_ratio": 0.6, "norm_pix_loss": True}
    assert task_for(pretrained).mask_ratio == 0.6
    make_image_folder(in_tmp / "photos", per_label=8)
    tuned = zoo.finetune(in_tmp / "mae" / "checkpoint", data=in_tmp / "photos", output=in_tmp / "clf", epochs=1,
                         min_steps=0, precision="32-true")  # fmt: skip
    assert tuned["reinitialised_tensors"] == ["head.fc.weight", "head.fc.bias"]  # the rest: the MAE encoder
    card = json.loads((in_tmp / "clf" / "metrics.json").read_text())
    assert card["base"] == str(in_tmp / "mae" / "checkpoint")
    assert "ClassifierHead" in (in_tmp / "clf" / "config.yaml").read_text()


def test_spectrogram_targets_are_what_the_tokens_were_made_of_under_spec_augment():
    """Training with SpecAugment on: the patch values come from the same masked spectrogram
    as the tokens (one draw), not from a second one."""
    torch.manual_seed(0)
    frontend = SpectrogramPatchEmbed(max_seconds=1.0, n_mels=32, patch_size=8, embed_dim=32, freq_mask=8, time_mask=10)
    frontend.train()
    waves = torch.randn(2, 16000) * 0.1
    tokens, values = frontend.embed_with_patch_values(waves)  # (B, 1 + N, D), (B, N, 64)
    rows, columns = frontend.patch_grid(waves)
    weight = frontend.proj.weight.flatten(1)  # (D, 64)
    positions = frontend._pos_embed(columns).reshape(1, rows * columns, -1)
    assert torch.allclose(tokens[:, 1:], values @ weight.T + frontend.proj.bias + positions, atol=1e-4)
    assert not torch.equal(frontend.patch_values(waves), frontend.patch_values(waves))  # each call draws anew
