"""WaveformPatchEmbed: raw-sample patches as tokens, padding masks, and the errors."""

import pytest
import torch

from zoo.errors import ZooError
from zoo.frontends.waveform import WaveformPatchEmbed


def patches() -> WaveformPatchEmbed:
    torch.manual_seed(0)
    return WaveformPatchEmbed(sample_rate=1000, max_seconds=1.0, patch_size=100, embed_dim=8)


def test_each_token_is_a_linear_map_of_its_samples_plus_its_position():
    embed = patches().eval()
    wave = torch.randn(2, 450)  # four whole patches, 50 samples dropped
    tokens = embed(wave)
    assert tokens.shape == (2, 1 + 4, 8)
    expected = embed.proj(wave[:, 200:300]) + embed.time_embed[0, 2]
    torch.testing.assert_close(tokens[:, 3], expected)


def test_padding_masks_the_patches_after_a_clip_and_leaves_its_own_alone():
    embed = patches().eval()
    clip = torch.randn(1, 300)
    batch = torch.cat([torch.nn.functional.pad(clip, (0, 500)), torch.randn(1, 800)])
    mask = embed.padding_mask(batch)
    assert mask.shape == (2, 9)
    assert mask[0].tolist() == [False] * 4 + [True] * 5 and not mask[1].any()
    torch.testing.assert_close(embed(batch)[:1, :4], embed(clip))
    assert embed.padding_mask(torch.randn(2, 800)) is None


@pytest.mark.parametrize(
    ("shape", "message"),
    [((1, 50), "shorter than one patch of 100"), ((1, 1200), "exceeds the model's 1.00 s"), ((50,), r"\(B, T\)")],
)
def test_a_clip_the_model_cannot_read_gets_one_line(shape, message):
    with pytest.raises(ZooError, match=message):
        patches()(torch.zeros(shape))
