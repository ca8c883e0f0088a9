"""TubeletEmbed: tubelets as tokens in time-major order, factorised positions, and the errors."""

import pytest
import torch
import torch.nn.functional as F

from zoo.errors import ZooError
from zoo.frontends.video import TubeletEmbed


def tubelets() -> TubeletEmbed:
    torch.manual_seed(0)
    return TubeletEmbed(num_frames=4, img_size=8, tubelet_frames=2, patch_size=4, in_chans=3, embed_dim=16)


def test_a_token_is_a_linear_map_of_its_tubelet_plus_its_three_positions():
    embed = tubelets().eval()
    video = torch.randn(2, 3, 4, 8, 8)
    tokens = embed(video)
    assert tokens.shape == (2, 1 + 2 * 2 * 2, 16)
    torch.testing.assert_close(tokens[:, 0], embed.agg_token[0].expand(2, -1))
    weight = embed.proj.weight.flatten(1)  # (D, C * t * p * p)
    for t in range(2):
        for r in range(2):
            for c in range(2):
                cube = video[:, :, 2 * t : 2 * t + 2, 4 * r : 4 * r + 4, 4 * c : 4 * c + 4].flatten(1)
                expected = cube @ weight.T + embed.proj.bias
                expected = (
                    expected + embed.time_embed[0, t, 0, 0] + embed.row_embed[0, 0, r, 0] + embed.col_embed[0, 0, 0, c]
                )
                torch.testing.assert_close(tokens[:, 1 + t * 4 + r * 2 + c], expected, atol=1e-5, rtol=1e-5)


def test_a_shorter_smaller_clip_uses_the_first_buckets():
    embed = tubelets().eval()
    video = torch.randn(1, 3, 4, 8, 8)
    short = embed(video[:, :, :2, :4, :4])  # one tubelet
    assert short.shape == (1, 2, 16)
    torch.testing.assert_close(short[:, 1], embed(video)[:, 1], atol=1e-6, rtol=1e-6)  # same cube, same place


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((1, 3, 1, 8, 8), "smaller than one 2x4x4 tubelet"),
        ((1, 3, 3, 8, 8), "not tiled by 2x4x4 tubelets"),
        ((1, 3, 6, 8, 8), "frames (6) exceeds the model's 4"),
        ((1, 1, 4, 8, 8), "takes (B, 3, T, H, W) clips"),
        ((3, 4, 8, 8), "takes (B, 3, T, H, W) clips"),
    ],
)
def test_a_clip_the_model_cannot_read_gets_one_line(shape, message):
    with pytest.raises(ZooError, match=message.replace("(", r"\(").replace(")", r"\)")):
        tubelets()(torch.zeros(shape))


def test_gradients_reach_positions_and_the_agg_token():
    embed = tubelets()
    embed(torch.randn(2, 3, 4, 8, 8)).square().sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in embed.parameters())
    assert F.cosine_similarity(embed.time_embed.grad.flatten(), embed.row_embed.grad.flatten(), dim=0).abs() < 1
