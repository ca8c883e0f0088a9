"""PatchEmbed: a strided conv is a linear map of each flattened patch."""

import pytest
import torch

from zoo.frontends import PatchEmbed


def test_patch_tokens_are_a_linear_map_of_flattened_patches():
    torch.manual_seed(0)
    embed = PatchEmbed(img_size=8, patch_size=4, in_chans=2, embed_dim=6, cls_token=False)
    x = torch.randn(3, 2, 8, 8)
    patches = x.unfold(2, 4, 4).unfold(3, 4, 4)  # (B, C, 2, 2, 4, 4)
    patches = patches.permute(0, 2, 3, 1, 4, 5).reshape(3, 4, 2 * 4 * 4)  # (B, N, C*p*p), row-major
    expected = patches @ embed.proj.weight.reshape(6, -1).T + embed.proj.bias + embed.pos_embed
    torch.testing.assert_close(embed(x), expected, atol=1e-5, rtol=1e-5)


def test_overlapping_patches_are_the_same_linear_map_at_a_smaller_stride():
    torch.manual_seed(0)
    embed = PatchEmbed(img_size=28, patch_size=8, in_chans=1, embed_dim=6, cls_token=False, stride=5)
    assert embed.grid == (5, 5)  # windows start at 0, 5, 10, 15, 20: the last ends at pixel 27
    x = torch.randn(2, 1, 28, 28)
    patches = x.unfold(2, 8, 5).unfold(3, 8, 5).reshape(2, 25, 64)  # (B, N, p*p), row-major
    expected = patches @ embed.proj.weight.reshape(6, -1).T + embed.proj.bias + embed.pos_embed
    torch.testing.assert_close(embed(x), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(("patch", "stride", "size"), [(7, 7, 28), (8, 5, 28), (4, 4, 36)])  # overlapping, resized
def test_patch_grid_lays_out_the_tokens_after_the_cls_token(patch, stride, size):
    embed = PatchEmbed(img_size=28, patch_size=patch, in_chans=1, embed_dim=16, stride=stride)
    x = torch.randn(2, 1, size, size)
    rows, cols = embed.patch_grid(x)
    assert rows == cols and embed(x).shape[1] == 1 + rows * cols
    assert embed.padding_mask(x) is None  # images are never padded


def test_cls_token_comes_first():
    embed = PatchEmbed(img_size=28, patch_size=4, in_chans=1, embed_dim=16)
    tokens = embed(torch.randn(2, 1, 28, 28))
    assert tokens.shape == (2, 1 + 49, 16) and embed.num_prefix_tokens == 1
    torch.testing.assert_close(tokens[:, 0], embed.cls_token[0].expand(2, -1))


def test_sincos_positions_are_fixed_buffers():
    embed = PatchEmbed(img_size=16, patch_size=4, in_chans=1, embed_dim=8, pos_embed="sincos")
    assert "pos_embed" not in dict(embed.named_parameters())
    assert embed(torch.randn(1, 1, 16, 16)).shape == (1, 17, 8)
    assert embed(torch.randn(1, 1, 24, 16)).shape == (1, 1 + 24, 8)  # other sizes get their own grid


def test_learned_positions_are_resized_for_other_image_sizes():
    embed = PatchEmbed(img_size=16, patch_size=4, in_chans=1, embed_dim=8)
    assert embed(torch.randn(1, 1, 32, 32)).shape == (1, 1 + 64, 8)


def test_image_size_not_divisible_by_patch_size_says_what_to_do():
    embed = PatchEmbed(img_size=28, patch_size=4, in_chans=1, embed_dim=8)
    with pytest.raises(ValueError, match=r"image size 30x28 is not divisible by patch_size 4; resize or crop"):
        embed(torch.randn(1, 1, 30, 28))
    with pytest.raises(ValueError, match="not divisible by patch_size 5"):
        PatchEmbed(img_size=28, patch_size=5)


def test_overlapping_patches_that_do_not_tile_say_what_to_do():
    with pytest.raises(
        ValueError, match=r"image size 28x28 is not tiled by patch_size 8 at stride 6; use sides of 8 \+"
    ):
        PatchEmbed(img_size=28, patch_size=8, stride=6)
    embed = PatchEmbed(img_size=28, patch_size=8, in_chans=1, embed_dim=8, stride=5)
    with pytest.raises(ValueError, match="image size 30x30 is not tiled"):
        embed(torch.randn(1, 1, 30, 30))
    assert embed(torch.randn(1, 1, 33, 33)).shape == (1, 1 + 36, 8)  # learned grid resized to 6x6


def test_wrong_channel_count_is_named():
    embed = PatchEmbed(img_size=8, patch_size=4, in_chans=1, embed_dim=8)
    with pytest.raises(ValueError, match="image has 3 channels but the model expects in_chans=1"):
        embed(torch.randn(1, 3, 8, 8))


def test_unknown_position_embedding_is_refused():
    with pytest.raises(ValueError, match="'learned' or 'sincos'"):
        PatchEmbed(img_size=8, patch_size=4, pos_embed="rope")
