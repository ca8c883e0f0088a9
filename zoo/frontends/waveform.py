"""Raw-waveform front-end: cut a waveform into 1-D patches of samples and embed each (VATT).

Akbari et al., "VATT", 2021, https://arxiv.org/abs/2104.11178 (section 3.2: audio as patches of
128 samples, linearly projected, with learned temporal positions and an [AGG] token). The
spectrogram alternative is :class:`zoo.frontends.audio.SpectrogramPatchEmbed`; both read the
zoo's audio input, a (B, T) waveform right-padded with exact zeros.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.errors import ZooError
from zoo.frontends.audio import waveform_lengths


class WaveformPatchEmbed(nn.Module):
    """Waveform to tokens: (B, T) -> (B, 1 + N, D), N = T // patch_size, after an [AGG] token.

    Samples past the last whole patch are dropped. ``padding_mask`` masks the patches that start
    after a clip's last non-zero sample, so a clip's tokens are the same alone and padded.

    Args:
        sample_rate: the waveform's rate in Hz (recorded for preprocessing; the layer is rate-blind).
        max_seconds: the longest clip, sets the temporal position buckets.
        patch_size: samples per patch (VATT: 128 at 48 kHz).
        embed_dim: token width D.
        agg_token: prepend a learned [AGG] token.
        drop: dropout on the tokens after adding positions.
    """

    def __init__(
        self,
        sample_rate: int = 16_000,
        max_seconds: float = 3.0,
        patch_size: int = 128,
        embed_dim: int = 192,
        agg_token: bool = True,
        drop: float = 0.0,
    ) -> None:
        super().__init__()
        self.sample_rate, self.patch_size = sample_rate, patch_size
        self.max_samples = round(max_seconds * sample_rate)
        if self.max_samples < patch_size:
            raise ZooError(f"max_seconds {max_seconds} holds less than one patch of {patch_size} samples")
        self.num_prefix_tokens = int(agg_token)
        self.proj = nn.Linear(patch_size, embed_dim)
        self.time_embed = nn.Parameter(torch.zeros(1, self.max_samples // patch_size, embed_dim))
        self.agg_token = nn.Parameter(torch.zeros(1, 1, embed_dim)) if agg_token else None
        self.drop = nn.Dropout(drop)
        nn.init.trunc_normal_(self.time_embed, std=0.02)
        if self.agg_token is not None:
            nn.init.xavier_normal_(self.agg_token.view(1, -1))  # VATT: glorot normal

    def no_weight_decay(self) -> set[str]:
        """Parameters the optimiser should not decay (see ``zoo.tasks.param_groups``)."""
        return {"time_embed", "agg_token"}

    def num_patches(self, waveform: Tensor) -> int:
        """(B, T) -> the patch tokens N; one line of error for a clip too short or too long."""
        if waveform.ndim != 2:
            raise ZooError(f"an audio model takes (B, T) waveforms, got shape {tuple(waveform.shape)}")
        T = waveform.shape[-1]
        if T < self.patch_size:
            raise ZooError(f"a clip of {T} samples is shorter than one patch of {self.patch_size}")
        if T > self.max_samples:
            raise ZooError(
                f"a clip of {T / self.sample_rate:.2f} s exceeds the model's {self.max_samples / self.sample_rate:.2f} s; "
                "cut it"
            )
        return T // self.patch_size

    def padding_mask(self, waveform: Tensor) -> Tensor | None:
        """(B, T) zero-padded waveforms -> (B, prefix + N) bool, True = a patch that starts after
        the clip's last non-zero sample (the first patch is always kept); None when none does."""
        n = self.num_patches(waveform)
        starts = torch.arange(n, device=waveform.device) * self.patch_size  # (N,)
        pad = starts[None, :] >= waveform_lengths(waveform)[:, None].clamp(min=1)  # (B, N)
        if not pad.any():
            return None
        return F.pad(pad, (self.num_prefix_tokens, 0), value=False)

    def patch_grid(self, waveform: Tensor) -> None:
        """The tokens are a sequence in time: None."""
        return

    def forward(self, waveform: Tensor) -> Tensor:
        """(B, T) -> (B, num_prefix_tokens + T // patch_size, D)."""
        n = self.num_patches(waveform)
        patches = waveform[:, : n * self.patch_size].unflatten(1, (n, self.patch_size))  # (B, N, P)
        x = self.proj(patches.to(self.proj.weight.dtype)) + self.time_embed[:, :n]
        if self.agg_token is not None:
            x = torch.cat([self.agg_token.expand(len(x), -1, -1), x], dim=1)
        return self.drop(x)
