"""ClassifierHead pooling."""

import pytest
import torch

from zoo.heads import ClassifierHead


def _head(pool: str) -> ClassifierHead:
    head = ClassifierHead(4, 3, pool=pool)
    torch.nn.init.normal_(head.fc.weight)
    return head


def test_cls_pooling_reads_token_zero():
    head, x = _head("cls"), torch.randn(2, 5, 4)
    torch.testing.assert_close(head(x), head.fc(x[:, 0]))


def test_mean_pooling_skips_padding():
    head, x = _head("mean"), torch.randn(2, 5, 4)
    mask = torch.tensor([[False, False, True, True, True], [False] * 5])
    expected = torch.stack([x[0, :2].mean(0), x[1].mean(0)])
    torch.testing.assert_close(head(x, mask), head.fc(expected))
    torch.testing.assert_close(head(x), head.fc(x.mean(1)))


def test_unknown_pooling_is_refused():
    with pytest.raises(ValueError, match="'cls' or 'mean'"):
        ClassifierHead(4, 3, pool="max")
