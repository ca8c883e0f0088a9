"""Convolutional tokenizer (CCT): a few conv-ReLU-maxpool layers in place of ViT's patches.

Hassani et al., "Escaping the Big Data Paradigm with Compact Transformers", 2021,
https://arxiv.org/abs/2104.05704: convolutions give the tokens a CNN's locality and
translation equivariance, which lets a small Transformer learn from small data (CIFAR-10 from
scratch: CCT-7/3x1 94.8 %, ViT-Lite-7/4 91.4 %). Each layer is a stride-1 ``kernel_size``
convolution without bias, a ReLU and a 3x3 max-pool of stride 2, so ``conv_layers`` layers
halve the sides that many times (28 -> 14 -> 7: 49 tokens). Pair it with
``ClassifierHead(pool="seq")``, CCT's sequence pooling; there is no class token.
"""

from __future__ import annotations

from typing import Literal

from torch import Tensor, nn

from zoo.errors import ZooError
from zoo.frontends.position import add_grid_positions, grid_positions


class ConvTokenizer(nn.Module):
    """Image to tokens: (B, C, H, W) -> (B, N, D), N = (H / 2^L) * (W / 2^L) for L ``conv_layers``
    (sides rounded up at each pooling).

    Args:
        img_size: training image side (square), sets the position-embedding grid.
        in_chans: image channels C.
        embed_dim: token width D (the last convolution's channels).
        conv_layers: conv-ReLU-maxpool layers L.
        kernel_size: the convolutions' kernel side.
        hidden_channels: channels of the layers before the last.
        pos_embed: "learned", "sincos" or "none" (CCT's learned ones by default).
    """

    num_prefix_tokens = 0

    def __init__(
        self,
        img_size: int = 32,
        in_chans: int = 3,
        embed_dim: int = 256,
        conv_layers: int = 2,
        kernel_size: int = 3,
        hidden_channels: int = 64,
        pos_embed: Literal["learned", "sincos", "none"] = "learned",
    ) -> None:
        super().__init__()
        if conv_layers < 1:
            raise ZooError(f"conv_layers must be at least 1, got {conv_layers}")
        self.in_chans = in_chans
        widths = [in_chans, *[hidden_channels] * (conv_layers - 1), embed_dim]
        layers: list[nn.Module] = []
        for c_in, c_out in zip(widths[:-1], widths[1:]):
            layers += [
                nn.Conv2d(c_in, c_out, kernel_size, padding=kernel_size // 2, bias=False),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(3, stride=2, padding=1),
            ]
        self.conv = nn.Sequential(*layers)
        self.conv_layers = conv_layers
        self.grid = self._grid(img_size, img_size)
        if pos_embed == "none":
            self.pos_embed = None
        elif pos_embed in ("learned", "sincos"):
            add_grid_positions(self, pos_embed, self.grid, embed_dim)
        else:
            raise ZooError(f"pos_embed must be 'learned', 'sincos' or 'none', got {pos_embed!r}")
        for module in self.conv:
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight)  # CCT's init for the tokenizer

    def no_weight_decay(self) -> set[str]:
        """Parameters the optimiser should not decay (see ``zoo.tasks.param_groups``)."""
        return {"pos_embed"}

    def padding_mask(self, x: Tensor) -> None:
        """Images are never padded: None."""
        return None

    def patch_grid(self, x: Tensor) -> tuple[int, int]:
        """(B, C, H, W) -> (rows, cols) of the tokens, row-major."""
        return self._grid(*x.shape[-2:])

    def forward(self, x: Tensor) -> Tensor:
        """(B, C, H, W) -> (B, N, D)."""
        if x.shape[1] != self.in_chans:
            raise ZooError(f"image has {x.shape[1]} channels but the model expects in_chans={self.in_chans}")
        tokens = self.conv(x).flatten(2).transpose(1, 2)  # (B, N, D)
        if self.pos_embed is None:
            return tokens
        return tokens + grid_positions(self.pos_embed, self.grid, self._grid(*x.shape[-2:]))

    def _grid(self, height: int, width: int) -> tuple[int, int]:
        """Token rows and columns: each pooling (3x3, stride 2, padding 1) maps a side s to ceil(s / 2)."""
        for _ in range(self.conv_layers):
            height, width = (height + 1) // 2, (width + 1) // 2
        return height, width
