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
    with pytest.raises(ValueError, match="'cls', 'mean' or 'seq'"):
        ClassifierHead(4, 3, pool="max")


def test_reset_classifier_puts_a_fresh_fc_of_the_new_size_in_place():
    torch.manual_seed(0)
    head = ClassifierHead(64, 3).to(torch.float64)
    head.reset_classifier(500)
    assert head.num_classes == 500 and head.get_classifier() is head.fc
    assert head.fc.weight.dtype == torch.float64 and head.fc.in_features == 64
    assert list(head.state_dict()) == ["fc.weight", "fc.bias"]  # the keys keep their names
    assert torch.equal(head.fc.bias, torch.zeros(500, dtype=torch.float64))
    assert head.fc.weight.std().item() == pytest.approx(0.02, rel=0.05)  # as a new head is initialised


def test_reset_classifier_needs_a_positive_count():
    with pytest.raises(ValueError, match="num_classes must be a positive integer, got 0"):
        ClassifierHead(4, 3).reset_classifier(0)
