"""Heads: turn backbone tokens into a task's output. They know nothing of training."""

from zoo.heads.classifier import ClassifierHead
from zoo.heads.distilled import DistilledClassifierHead
from zoo.heads.lm import LMHead
from zoo.heads.masked_patches import MaskedPatchDecoder

__all__ = ["ClassifierHead", "DistilledClassifierHead", "LMHead", "MaskedPatchDecoder"]
