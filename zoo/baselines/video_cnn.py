"""The CNN baseline for video: a sized-down R(2+1)D from torchvision's video blocks.

Tran et al., "A Closer Look at Spatiotemporal Convolutions for Action Recognition", 2018,
https://arxiv.org/abs/1711.11248 (each 3-D convolution split into a spatial 1x3x3 and a
temporal 3x1x1 one)

The temporal convolutions pad time explicitly (zeros, as their own padding would): PyTorch
2.11's CPU bf16 ``Conv3d`` returns NaN weight gradients now and then when a 3-frame kernel
pads a 2-frame input itself (5 of 60 backward passes, 2026-12-04); padded beforehand, 0 of 120.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn
from torchvision.models.video import resnet as tv

from zoo.errors import ZooError
from zoo.heads.classifier import FcClassifier


class Conv2Plus1D(tv.Conv2Plus1D):
    """torchvision's (2+1)-D convolution (1x3x3 conv, BN, ReLU, 3x1x1 conv) with the temporal
    convolution's zero padding done beforehand (see the module docstring): the same outputs."""

    def __init__(self, in_planes: int, out_planes: int, midplanes: int, stride: int = 1, padding: int = 1) -> None:
        super().__init__(in_planes, out_planes, midplanes, stride, padding)
        temporal = self[3]
        temporal.padding = (0, 0, 0)
        self[3] = nn.Sequential(nn.ConstantPad3d((0, 0, 0, 0, padding, padding), 0.0), temporal)


class R2Plus1DNet(FcClassifier, nn.Module):
    """(B, C, T, H, W) clips -> (B, num_classes), the contract of a video Transformer's input.

    A (2+1)-D stem at full resolution, then stages of torchvision's ``BasicBlock`` with
    ``Conv2Plus1D``, each after the first halving time and space, then a global mean. As an
    encoder of a multimodal twin, ``num_classes`` is its feature width.

    Args:
        num_classes: outputs (classes, or features).
        in_chans: frame channels C.
        widths: channels of each stage.
        depths: blocks in each stage.
    """

    def __init__(
        self,
        num_classes: int,
        in_chans: int = 3,
        widths: Sequence[int] = (32, 64, 128),
        depths: Sequence[int] = (1, 1, 1),
    ) -> None:
        super().__init__()
        if len(widths) != len(depths) or not widths:
            raise ZooError(f"widths {list(widths)} and depths {list(depths)} must name the same stages")
        self.in_chans = in_chans
        w = widths[0]
        self.stem = nn.Sequential(
            nn.Conv3d(in_chans, w, (1, 3, 3), padding=(0, 1, 1), bias=False),
            nn.BatchNorm3d(w),
            nn.ReLU(inplace=True),
            nn.ConstantPad3d((0, 0, 0, 0, 1, 1), 0.0),  # time padded beforehand: see the module docstring
            nn.Conv3d(w, w, (3, 1, 1), bias=False),
            nn.BatchNorm3d(w),
            nn.ReLU(inplace=True),
        )
        stages, inplanes = [], w
        for i, (planes, depth) in enumerate(zip(widths, depths, strict=True)):
            blocks = []
            for j in range(depth):
                stride = 2 if i > 0 and j == 0 else 1
                downsample = None
                if stride != 1 or inplanes != planes:
                    downsample = nn.Sequential(
                        nn.Conv3d(inplanes, planes, 1, stride=stride, bias=False), nn.BatchNorm3d(planes)
                    )
                blocks.append(tv.BasicBlock(inplanes, planes, Conv2Plus1D, stride, downsample))
                inplanes = planes
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.fc = nn.Linear(inplanes, num_classes)

    def layer_groups(self) -> list[nn.Module]:
        """Everything before ``fc``, input to output: the stem, then each stage."""
        return [self.stem, *self.stages]

    def forward_features(self, video: Tensor) -> Tensor:
        """(B, C, T, H, W) -> (B, widths[-1]) pooled features."""
        if video.ndim != 5 or video.shape[1] != self.in_chans:
            raise ZooError(f"a video model takes (B, {self.in_chans}, T, H, W) clips, got shape {tuple(video.shape)}")
        return self.pool(self.stages(self.stem(video))).flatten(1)

    def forward(self, video: Tensor) -> Tensor:
        """(B, C, T, H, W) -> (B, num_classes)."""
        return self.fc(self.forward_features(video))
