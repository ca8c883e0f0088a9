"""The CNN baseline for audio: the CIFAR-style ResNet on the same log-mel input as the AST.

Hershey et al., "CNN Architectures for Large-Scale Audio Classification", 2017,
https://arxiv.org/abs/1609.09430 (ResNets on log-mel spectrograms)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from zoo.baselines.resnet import CifarResNet
from zoo.frontends.audio import LogMel, SpecAugment, waveform_lengths
from zoo.heads.classifier import FcClassifier


class LogMelResNet(FcClassifier, nn.Module):
    """(B, T) zero-padded waveforms -> (B, num_classes) logits, the contract of the AST classifier.

    ``LogMel`` (and SpecAugment while training) as in ``SpectrogramPatchEmbed``, then the
    ResNet's stages on the (1, n_mels, frames) image, then a mean over frequency and over
    the time steps inside each clip (the batch's zero padding is left out of the pool).

    Args:
        num_classes: output classes.
        sample_rate, n_mels, win_ms, hop_ms, f_min, f_max, mean, std: the :class:`LogMel` settings.
        widths, depths, stem_stride: the :class:`CifarResNet` stages.
        freq_mask, time_mask, num_masks: SpecAugment while training.
    """

    def __init__(
        self,
        num_classes: int,
        sample_rate: int = 16_000,
        n_mels: int = 64,
        widths: Sequence[int] = (32, 64, 128, 256),
        depths: Sequence[int] = (2, 2, 2, 2),
        stem_stride: int = 2,
        freq_mask: int = 0,
        time_mask: int = 0,
        num_masks: int = 2,
        win_ms: float = 25.0,
        hop_ms: float = 10.0,
        f_min: float = 20.0,
        f_max: float | None = None,
        mean: float = -6.0,
        std: float = 4.0,
    ) -> None:
        super().__init__()
        self.logmel = LogMel(sample_rate, n_mels, win_ms, hop_ms, f_min, f_max, mean, std)
        self.spec_augment = SpecAugment(freq_mask, time_mask, num_masks)
        resnet = CifarResNet(num_classes, in_chans=1, widths=widths, depths=depths, stem_stride=stem_stride)
        self.stem, self.stages, self.fc = resnet.stem, resnet.stages, resnet.fc

    def layer_groups(self) -> list[nn.Module]:
        """Everything before ``fc``, input to output: the stem, then each stage."""
        return [self.stem, *self.stages]

    def forward_features(self, waveform: Tensor) -> Tensor:
        """(B, T) -> (B, widths[-1], F', T') feature map."""
        spec = self.spec_augment(self.logmel(waveform))[:, None]  # (B, 1, n_mels, frames)
        return self.stages(self.stem(spec.to(self.fc.weight.dtype)))

    def forward(self, waveform: Tensor) -> Tensor:
        """(B, T) zero-padded waveforms -> (B, num_classes) logits."""
        features = self.forward_features(waveform)  # (B, C, F', T')
        frames = self.logmel.num_frames(waveform.shape[-1])
        valid = self.logmel.num_frames(waveform_lengths(waveform))  # (B,)
        steps = torch.ceil(valid * features.shape[-1] / frames).clamp(min=1)  # valid T' per clip
        keep = torch.arange(features.shape[-1], device=features.device)[None, :] < steps[:, None]  # (B, T')
        pooled = (features.mean(dim=2) * keep[:, None, :]).sum(dim=-1) / keep.sum(dim=-1, keepdim=True)
        return self.fc(pooled)
