"""Audio front-end: waveform -> log-mel spectrogram -> time x frequency patches (AST).

Gong et al., "AST: Audio Spectrogram Transformer", 2021, https://arxiv.org/abs/2104.01778;
Park et al., "SpecAugment", 2019, https://arxiv.org/abs/1904.08779

Input contract for every audio model in the zoo (the AST and the CNN baseline alike): a
(B, T) float waveform at the model's sample rate, right-padded with exact zeros. Trailing
zeros are padding: ``waveform_lengths`` finds each clip's length and the front-end masks
the patches that start after it, so a clip gives the same logits alone or in a padded batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.errors import ZooError
from zoo.frontends.position import sincos_2d


def waveform_lengths(waveform: Tensor) -> Tensor:
    """(B, T) zero-padded waveforms -> (B,) int64 lengths: the last non-zero sample + 1 (at least 1)."""
    positions = torch.arange(1, waveform.shape[-1] + 1, device=waveform.device)
    return ((waveform != 0) * positions).amax(dim=-1).clamp(min=1)


class LogMel(nn.Module):
    """(B, T) waveform -> (B, n_mels, frames) normalised log-mel spectrogram.

    The power STFT (Hann window, n_fft = window) times a mel filterbank, as
    ``torchaudio.transforms.MelSpectrogram(center=False)`` computes it. Frames are not
    centred: frame k covers samples [k * hop, k * hop + win), so the frames of a clip are the
    same whatever zeros follow it in a padded batch. Computed in float32 whatever the
    autocast or the module's dtype (an STFT in bf16 loses the quiet bins), then
    ``(log(mel + 1e-6) - mean) / std`` with the dataset statistics the recipe gives.

    Args:
        sample_rate: the waveform's rate in Hz.
        n_mels: mel bands.
        win_ms, hop_ms: STFT window and hop in milliseconds (25 / 10, as AST and Kaldi).
        f_min, f_max: the mel filterbank's range in Hz (f_max None: sample_rate / 2).
        mean, std: log-mel normalisation.
    """

    def __init__(
        self,
        sample_rate: int = 16_000,
        n_mels: int = 64,
        win_ms: float = 25.0,
        hop_ms: float = 10.0,
        f_min: float = 20.0,
        f_max: float | None = None,
        mean: float = -6.0,
        std: float = 4.0,
    ) -> None:
        super().__init__()
        self.sample_rate, self.n_mels = sample_rate, n_mels
        self.hop_length = round(sample_rate * hop_ms / 1000)
        self.win_length = round(sample_rate * win_ms / 1000)
        self.f_min, self.f_max = f_min, f_max or sample_rate / 2
        window, filterbank = self._dsp(torch.device("cpu"))
        # fixed, so not saved with the weights; they follow .to(device)
        self.register_buffer("window", window, persistent=False)
        self.register_buffer("filterbank", filterbank, persistent=False)
        self.mean, self.std = mean, std

    def _dsp(self, device: torch.device) -> tuple[Tensor, Tensor]:
        """The float32 Hann window (win,) and mel filterbank (n_mels, win // 2 + 1)."""
        window = torch.hann_window(self.win_length, device=device)
        import torchaudio.functional as AF  # here, so that importing zoo's models loads no audio library

        fb = AF.melscale_fbanks(self.win_length // 2 + 1, self.f_min, self.f_max, self.n_mels, self.sample_rate)
        return window, fb.T.contiguous().to(device)

    def num_frames(self, num_samples: Tensor | int) -> Tensor | int:
        """Whole frames in ``num_samples`` (a clip shorter than one window is padded to one)."""
        if isinstance(num_samples, Tensor):
            return (num_samples.clamp(min=self.win_length) - self.win_length) // self.hop_length + 1
        return (max(num_samples, self.win_length) - self.win_length) // self.hop_length + 1

    def forward(self, waveform: Tensor) -> Tensor:
        """(B, T) -> (B, n_mels, num_frames(T))."""
        if waveform.ndim != 2:
            raise ZooError(f"an audio model takes (batch, samples) waveforms, got shape {tuple(waveform.shape)}")
        if waveform.shape[-1] < self.win_length:
            waveform = F.pad(waveform, (0, self.win_length - waveform.shape[-1]))
        window, filterbank = self.window, self.filterbank
        if filterbank.dtype != torch.float32:  # the module was cast (.half(), bf16-true): rebuild exactly
            window, filterbank = self._dsp(waveform.device)
        with torch.autocast(waveform.device.type, enabled=False):
            stft = torch.stft(
                waveform.float(), self.win_length, self.hop_length, window=window, center=False, return_complex=True
            )  # (B, n_freqs, frames)
            mel = filterbank @ stft.abs().square()  # (B, n_mels, frames) power
        return (torch.log(mel + 1e-6) - self.mean) / self.std


class SpecAugment(nn.Module):
    """Training-time masking of (B, F, T) spectrograms: ``num_masks`` frequency bands of up to
    ``freq_mask`` bins and time spans of up to ``time_mask`` frames each, set to 0 (the
    normalised mean). Identity in eval mode. Each example draws its own masks; time spans
    fall inside its own frames (``frames``), not in a batch's padding."""

    def __init__(self, freq_mask: int = 0, time_mask: int = 0, num_masks: int = 2) -> None:
        super().__init__()
        self.freq_mask, self.time_mask, self.num_masks = freq_mask, time_mask, num_masks

    def forward(self, spec: Tensor, frames: Tensor | None = None) -> Tensor:
        """(B, F, T) spectrograms, optional (B,) frames of each clip (default: all T) -> (B, F, T)."""
        if not self.training:
            return spec
        B, n_freq, n_time = spec.shape
        device = spec.device
        sizes = {1: torch.full((B, 1), n_freq, device=device), 2: torch.full((B, 1), n_time, device=device)}
        if frames is not None:
            sizes[2] = frames.clamp(max=n_time).view(B, 1)
        keep = torch.ones(B, n_freq, n_time, dtype=torch.bool, device=device)
        for axis, width in ((1, self.freq_mask), (2, self.time_mask)):
            if width <= 0:
                continue
            size = sizes[axis]  # (B, 1) extent of each example along the axis
            positions = torch.arange(spec.shape[axis], device=device)
            for _ in range(self.num_masks):
                w = (
                    torch.rand(B, 1, device=device) * (torch.clamp(size, max=width) + 1)
                ).long()  # 0 .. min(width, size)
                start = (torch.rand(B, 1, device=device) * (size - w + 1)).long()
                band = (positions >= start) & (positions < start + w)  # (B, size along the axis)
                keep &= ~(band[:, :, None] if axis == 1 else band[:, None, :])
        return spec * keep


class SpectrogramPatchEmbed(nn.Module):
    """Waveform to tokens: (B, T) -> (B, 1 + N, D) with a cls token, (B, N, D) without.

    The log-mel spectrogram (n_mels x frames) is cut into ``patch_size`` (freq, time) patches
    taken every ``patch_stride`` (less than the size: overlapping, as in AST), by one strided
    convolution. Tokens run frequency-major: token ``f * Gt + t`` is frequency row f, time
    column t. Positions know both axes: "learned" adds a frequency table (Gf, D) and a time
    table (Gt, D); "sincos" is the fixed 2-D sin-cos of (f, t).

    Clips up to ``max_seconds`` long are accepted; shorter ones give fewer time columns,
    and ``padding_mask`` masks the columns that reach into a batch's zero padding, so a clip's
    tokens are the same alone and padded.

    Args:
        sample_rate, n_mels, win_ms, hop_ms, f_min, f_max, mean, std: the :class:`LogMel` settings.
        max_seconds: the longest clip, sets the time-position table.
        patch_size: (freq, time) patch extent in bins and frames, or one int for both.
        patch_stride: (freq, time) step between patches; defaults to the patch size.
        embed_dim: token width D.
        pos_embed: "learned" (frequency + time tables) or "sincos".
        cls_token: prepend a learned class token.
        freq_mask, time_mask, num_masks: SpecAugment while training (0 turns an axis off).
        drop: dropout on the tokens after adding positions.
    """

    def __init__(
        self,
        sample_rate: int = 16_000,
        max_seconds: float = 3.0,
        n_mels: int = 64,
        patch_size: int | Sequence[int] = 16,
        patch_stride: int | Sequence[int] | None = None,
        embed_dim: int = 192,
        pos_embed: Literal["learned", "sincos"] = "learned",
        cls_token: bool = True,
        freq_mask: int = 0,
        time_mask: int = 0,
        num_masks: int = 2,
        win_ms: float = 25.0,
        hop_ms: float = 10.0,
        f_min: float = 20.0,
        f_max: float | None = None,
        mean: float = -6.0,
        std: float = 4.0,
        drop: float = 0.0,
    ) -> None:
        super().__init__()
        self.logmel = LogMel(sample_rate, n_mels, win_ms, hop_ms, f_min, f_max, mean, std)
        self.spec_augment = SpecAugment(freq_mask, time_mask, num_masks)
        self.patch_size = _pair(patch_size, "patch_size")
        self.patch_stride = _pair(patch_stride or patch_size, "patch_stride")
        if self.patch_size[0] > n_mels:
            raise ZooError(f"patch_size {self.patch_size[0]} in frequency exceeds n_mels {n_mels}; lower it")
        self.sample_rate, self.max_samples = sample_rate, round(max_seconds * sample_rate)
        max_frames = self.logmel.num_frames(self.max_samples)
        self.grid = (self._columns(n_mels, 0), self._columns(max_frames, 1))  # (Gf, Gt_max)
        self.num_prefix_tokens = 1 if cls_token else 0
        self.proj = nn.Conv2d(1, embed_dim, kernel_size=self.patch_size, stride=self.patch_stride)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim)) if cls_token else None
        self.pos_embed_kind = pos_embed
        if pos_embed == "learned":
            self.freq_embed = nn.Parameter(torch.zeros(1, self.grid[0], 1, embed_dim))
            self.time_embed = nn.Parameter(torch.zeros(1, 1, self.grid[1], embed_dim))
            nn.init.trunc_normal_(self.freq_embed, std=0.02)
            nn.init.trunc_normal_(self.time_embed, std=0.02)
        elif pos_embed == "sincos":
            grid = sincos_2d(*self.grid, embed_dim).reshape(1, *self.grid, embed_dim)
            self.register_buffer("pos_embed", grid, persistent=False)
        else:
            raise ZooError(f"pos_embed must be 'learned' or 'sincos', got {pos_embed!r}")
        self.drop = nn.Dropout(drop)
        w = self.proj.weight.data
        nn.init.xavier_uniform_(w.view(w.shape[0], -1))
        nn.init.zeros_(self.proj.bias)
        if self.cls_token is not None:
            nn.init.normal_(self.cls_token, std=1e-6)

    def _columns(self, frames: int, axis: int) -> int:
        """Patches along an axis of ``frames`` bins (an input shorter than one patch is padded to one)."""
        size, stride = self.patch_size[axis], self.patch_stride[axis]
        return (max(frames, size) - size) // stride + 1

    def no_weight_decay(self) -> set[str]:
        """Parameters the optimiser should not decay (see ``zoo.tasks.param_groups``)."""
        return {"freq_embed", "time_embed", "cls_token"}

    def padding_mask(self, waveform: Tensor) -> Tensor | None:
        """(B, T) zero-padded waveforms -> (B, prefix + N) bool, True = a patch that reaches past
        the clip's last non-zero sample; None when no clip in the batch has such a patch.

        The first time column is always kept (a silent clip still has tokens to attend to)."""
        rows, columns = self.patch_grid(waveform)  # checks the waveform
        size, stride = self.patch_size[1], self.patch_stride[1]
        valid_frames = self.logmel.num_frames(waveform_lengths(waveform)).clamp(min=size)  # (B,)
        ends = torch.arange(columns, device=waveform.device) * stride + size  # (Gt,) one past each column
        pad = ends[None, :] > valid_frames[:, None]  # (B, Gt)
        if not pad.any():
            return None
        mask = pad[:, None, :].expand(-1, rows, -1).flatten(1)  # (B, Gf * Gt), frequency-major
        return F.pad(mask, (self.num_prefix_tokens, 0), value=False)

    def patch_grid(self, waveform: Tensor) -> tuple[int, int]:
        """(B, T) -> (frequency rows Gf, time columns Gt) of the patch tokens, frequency-major."""
        self._check(waveform)
        frames = self.logmel.num_frames(max(waveform.shape[-1], self._min_samples()))
        return self.grid[0], self._columns(frames, 1)

    def spectrogram(self, waveform: Tensor) -> Tensor:
        """(B, T) -> (B, n_mels, frames >= the time patch): normalised log-mel, SpecAugment-ed
        when training. A clip shorter than one patch is zero-padded to one, as it would be in a
        padded batch, so its tokens do not depend on the batch."""
        self._check(waveform)
        min_samples = self._min_samples()
        frames = self.logmel.num_frames(waveform_lengths(waveform)) if self.training else None
        if waveform.shape[-1] < min_samples:
            waveform = F.pad(waveform, (0, min_samples - waveform.shape[-1]))
        return self.spec_augment(self.logmel(waveform), frames)

    def forward(self, waveform: Tensor) -> Tensor:
        """(B, T) waveform at ``sample_rate`` -> (B, prefix + Gf * Gt, D)."""
        return self._embed(self.spectrogram(waveform)[:, None])

    def patch_values(self, waveform: Tensor) -> Tensor:
        """(B, T) -> (B, Gf * Gt, pf * pt): the normalised log-mel values each patch token reads,
        in token order (frequency-major; the target of masked-patch pretraining)."""
        return self._unfold(self.spectrogram(waveform)[:, None])

    def embed_with_patch_values(self, waveform: Tensor) -> tuple[Tensor, Tensor]:
        """(B, T) -> (``forward``'s tokens, ``patch_values``) from one spectrogram: one draw of
        SpecAugment for both, so the targets are what the tokens were made of."""
        spec = self.spectrogram(waveform)[:, None]  # (B, 1, F, frames)
        return self._embed(spec), self._unfold(spec)

    def _unfold(self, spec: Tensor) -> Tensor:
        """(B, 1, F, frames) -> (B, Gf * Gt, pf * pt)."""
        return F.unfold(spec, self.patch_size, stride=self.patch_stride).transpose(1, 2)

    def _embed(self, spec: Tensor) -> Tensor:
        """(B, 1, F, frames) spectrogram -> (B, prefix + Gf * Gt, D) tokens."""
        x = self.proj(spec.to(self.proj.weight.dtype))
        B, D, Gf, Gt = x.shape
        x = x.permute(0, 2, 3, 1) + self._pos_embed(Gt)  # (B, Gf, Gt, D)
        x = x.reshape(B, Gf * Gt, D)
        if self.cls_token is not None:
            x = torch.cat([self.cls_token.expand(B, -1, -1), x], dim=1)
        return self.drop(x)

    def _min_samples(self) -> int:
        """The shortest waveform that fills one time patch; shorter clips are zero-padded to it."""
        return (self.patch_size[1] - 1) * self.logmel.hop_length + self.logmel.win_length

    def _pos_embed(self, columns: int) -> Tensor:
        if self.pos_embed_kind == "learned":
            return self.freq_embed + self.time_embed[:, :, :columns]
        return self.pos_embed[:, :, :columns]

    def _check(self, waveform: Tensor) -> None:
        if waveform.ndim != 2:
            raise ZooError(f"an audio model takes (batch, samples) waveforms, got shape {tuple(waveform.shape)}")
        if waveform.shape[-1] > self.max_samples:
            raise ZooError(
                f"clip of {waveform.shape[-1] / self.sample_rate:.2f} s is longer than the model's "
                f"{self.max_samples / self.sample_rate:.2f} s; crop it (AudioPreprocessing does)"
            )


def _pair(value: int | Sequence[int], name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or any(not isinstance(v, int) or v < 1 for v in pair):
        raise ZooError(f"{name} must be a positive int or a (freq, time) pair, got {value!r}")
    return pair
