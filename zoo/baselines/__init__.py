"""Non-Transformer baselines with the same input/output contract as the Transformer models."""

from zoo.baselines.resnet import CifarResNet

__all__ = ["CifarResNet"]
