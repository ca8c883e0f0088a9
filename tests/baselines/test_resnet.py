"""CifarResNet keeps the image classifier's contract."""

import pytest
import torch
from torchvision.models.resnet import BasicBlock

from zoo.baselines import CifarResNet


def test_same_contract_as_the_vit_classifier():
    model = CifarResNet(num_classes=10, in_chans=1)
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    assert model.forward_features(torch.randn(2, 1, 28, 28)).shape == (2, 128, 7, 7)


def test_built_from_torchvision_basic_blocks():
    model = CifarResNet(widths=(16, 32), depths=(3, 1))
    assert sum(isinstance(m, BasicBlock) for m in model.modules()) == 4


def test_residual_branches_start_as_identity():
    model = CifarResNet(num_classes=3, in_chans=1).eval()
    block = model.stages[0][1]  # no downsample: output = relu(x + branch(x)), branch starts at 0
    x = torch.randn(1, 32, 8, 8).relu()
    torch.testing.assert_close(block(x), x)


def test_mismatched_stage_lists_are_refused():
    with pytest.raises(ValueError, match="same length"):
        CifarResNet(widths=(16, 32), depths=(2,))
