"""DropToken: a random share of the tokens in training, the prefix always, order and padding kept."""

import math

import pytest
import torch

from zoo.errors import ZooError
from zoo.frontends.drop_token import DropToken


def numbered(B: int, N: int) -> torch.Tensor:
    """(B, N, 2) tokens whose first channel is their index: what was kept can be read back."""
    index = torch.arange(N, dtype=torch.float).expand(B, N)
    return torch.stack([index, torch.randn(B, N)], dim=-1)


@pytest.mark.parametrize("keep", [0.5, 0.3, 1.0])
def test_training_keeps_the_prefix_and_a_share_of_the_rest_in_order(keep):
    torch.manual_seed(0)
    drop = DropToken(keep).train()
    tokens = numbered(4, 1 + 10)
    kept, mask = drop(tokens, num_prefix_tokens=1)
    assert mask is None and kept.shape == (4, 1 + math.ceil(keep * 10), 2)
    index = kept[..., 0].long()
    assert (index[:, 0] == 0).all()  # the [AGG] token
    assert (index[:, 1:].diff(dim=1) > 0).all()  # original order, no repeats
    for row in range(4):  # a kept token is the input's token, untouched
        torch.testing.assert_close(kept[row], tokens[row, index[row]])


def test_rows_draw_their_own_tokens_and_evaluation_keeps_all():
    torch.manual_seed(0)
    drop = DropToken(0.5)
    tokens = numbered(8, 1 + 16)
    index = drop.train()(tokens, 1)[0][..., 0]
    assert len({tuple(row.tolist()) for row in index}) > 1
    assert drop.eval()(tokens, 1)[0] is tokens


def test_real_tokens_go_before_padding_and_the_mask_follows():
    torch.manual_seed(0)
    tokens = numbered(2, 1 + 8)
    mask = torch.zeros(2, 9, dtype=torch.bool)
    mask[0, 4:] = True  # row 0: three real tokens, five padded
    kept, kept_mask = DropToken(0.5).train()(tokens, 1, mask)
    assert kept.shape == (2, 5, 2)
    assert kept[0, :, 0].long().tolist()[:4] == [0, 1, 2, 3]  # all real ones kept first
    assert kept_mask[0].tolist() == [False, False, False, False, True]
    assert not kept_mask[1].any()


def test_a_share_outside_0_1_is_refused():
    with pytest.raises(ZooError, match=r"in \(0, 1\]"):
        DropToken(0.0)
