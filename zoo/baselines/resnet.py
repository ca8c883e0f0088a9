"""CIFAR-style ResNet for small images (28-32 px), built from torchvision's BasicBlock.

He et al., "Deep Residual Learning for Image Recognition", 2015, section 4.2,
https://arxiv.org/abs/1512.03385
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn
from torchvision.models.resnet import BasicBlock

from zoo.errors import ZooError
from zoo.heads.classifier import FcClassifier


class CifarResNet(FcClassifier, nn.Module):
    """(B, C, H, W) images -> (B, num_classes) logits, the same contract as a ViT classifier.

    A 3x3 stem keeps full resolution (no 7x7 stride-2 stem and max-pool, which would shrink
    a 28x28 image to 7x7 before the first block); each later stage halves the resolution.
    ``stem_stride=2`` halves it in the stem too, for larger inputs such as spectrograms.

    Args:
        num_classes: output classes.
        in_chans: image channels C.
        widths: channels of each stage.
        depths: BasicBlocks in each stage.
        stem_stride: stride of the stem convolution.
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_chans: int = 3,
        widths: Sequence[int] = (32, 64, 128),
        depths: Sequence[int] = (2, 2, 2),
        stem_stride: int = 1,
    ) -> None:
        super().__init__()
        if len(widths) != len(depths):
            raise ZooError(f"widths {list(widths)} and depths {list(depths)} must have the same length")
        self.stem = nn.Sequential(
            nn.Conv2d(in_chans, widths[0], kernel_size=3, stride=stem_stride, padding=1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        )
        stages, in_width = [], widths[0]
        for i, (width, depth) in enumerate(zip(widths, depths)):
            stages.append(_stage(in_width, width, depth, stride=1 if i == 0 else 2))
            in_width = width
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_width, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        for block in self.stages.modules():
            if isinstance(block, BasicBlock):
                nn.init.zeros_(block.bn2.weight)  # each residual branch starts as identity

    def forward_features(self, x: Tensor) -> Tensor:
        """(B, C, H, W) -> (B, widths[-1], H', W') feature map."""
        return self.stages(self.stem(x))

    def layer_groups(self) -> list[nn.Module]:
        """Everything before ``fc``, input to output: the stem, then each stage."""
        return [self.stem, *self.stages]

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.pool(self.forward_features(x)).flatten(1))


def _stage(in_width: int, width: int, depth: int, stride: int) -> nn.Sequential:
    downsample = None
    if stride != 1 or in_width != width:
        downsample = nn.Sequential(
            nn.Conv2d(in_width, width, kernel_size=1, stride=stride, bias=False),
            nn.BatchNorm2d(width),
        )
    blocks = [BasicBlock(in_width, width, stride, downsample)]
    blocks += [BasicBlock(width, width) for _ in range(depth - 1)]
    return nn.Sequential(*blocks)
