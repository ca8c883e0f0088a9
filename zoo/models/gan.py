"""Generative adversarial networks for small grey images: a generator and a discriminator.

:class:`GAN` holds the pair (``generator``: (B, Z) noise -> (B, C, H, W) images in [-1, 1];
``discriminator``: images -> (B,) logits of "real"); :class:`zoo.tasks.gan.GANTask` trains it.
Two families, the same interface:

- DCGAN (Radford et al., 2016, https://arxiv.org/abs/1511.06434): transposed convolutions with
  batch norm and ReLU up from a 7 x 7 map, tanh out; strided convolutions with LeakyReLU (0.2)
  down, batch norm but not on the first layer; weights from N(0, 0.02) as the paper.
- Transformer (TransGAN, Jiang et al., 2021; ViTGAN, Lee et al., 2022): the generator turns the
  noise into one token per output patch plus learned positions, runs the zoo's ``Transformer``
  and projects each token to its patch's pixels; the discriminator is a ViT: ``PatchEmbed``, the
  same ``Transformer`` class, a linear read of the class token.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.backbone.transformer import Transformer
from zoo.frontends.image import PatchEmbed


def dcgan_init(module: nn.Module) -> None:
    """DCGAN's initialisation: convolution and linear weights N(0, 0.02), batch-norm scales N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class DCGANGenerator(nn.Module):
    """(B, Z) noise -> (B, C, 4s, 4s) images in [-1, 1] (s = ``img_size // 4``, 7 for 28 x 28).

    Args:
        latent_dim: Z.
        width: channels of the 14 x 14 map; the 7 x 7 map has twice as many.
        img_size: output side, a multiple of 4.
        channels: output channels C.
    """

    def __init__(self, latent_dim: int = 100, width: int = 64, img_size: int = 28, channels: int = 1) -> None:
        super().__init__()
        self.latent_dim, self.start = latent_dim, img_size // 4
        self.project = nn.Sequential(
            nn.Linear(latent_dim, 2 * width * self.start**2, bias=False),
            nn.Unflatten(1, (2 * width, self.start, self.start)),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(inplace=True),
        )
        self.up = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(width, channels, 4, stride=2, padding=1),
            nn.Tanh(),
        )
        dcgan_init(self)

    def forward(self, z: Tensor) -> Tensor:
        return self.up(self.project(z))


class DCGANDiscriminator(nn.Module):
    """(B, C, H, W) images in [-1, 1] -> (B,) logits of "real".

    Args:
        width: channels after the first strided convolution; the second has twice as many.
        img_size: input side, a multiple of 4.
        channels: input channels C.
    """

    def __init__(self, width: int = 64, img_size: int = 28, channels: int = 1) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, width, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(2 * width),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Flatten(),
        )
        self.classify = nn.Linear(2 * width * (img_size // 4) ** 2, 1)
        dcgan_init(self)

    def forward(self, images: Tensor) -> Tensor:
        return self.classify(self.features(images)).squeeze(1)


class TransformerGenerator(nn.Module):
    """(B, Z) noise -> (B, C, H, W) images in [-1, 1]: a token per ``patch_size`` patch.

    Args:
        latent_dim: Z.
        img_size: output side, a multiple of ``patch_size``.
        patch_size: each token's patch side P.
        channels: output channels C.
        embed_dim, depth, num_heads, mlp_ratio: the ``Transformer``'s.
    """

    def __init__(
        self,
        latent_dim: int = 100,
        img_size: int = 28,
        patch_size: int = 4,
        channels: int = 1,
        embed_dim: int = 128,
        depth: int = 4,
        num_heads: int = 4,
        mlp_ratio: float = 4.0,
    ) -> None:
        super().__init__()
        self.latent_dim, self.grid, self.patch_size, self.channels = (
            latent_dim,
            img_size // patch_size,
            patch_size,
            channels,
        )
        tokens = self.grid**2
        self.to_tokens = nn.Linear(latent_dim, tokens * embed_dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens, embed_dim))
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.backbone = Transformer(embed_dim, depth, num_heads, mlp_ratio)
        self.to_pixels = nn.Linear(embed_dim, channels * patch_size**2)

    def no_weight_decay(self) -> set[str]:
        return {"pos_embed"}

    def forward(self, z: Tensor) -> Tensor:
        tokens = self.to_tokens(z).view(len(z), self.grid**2, -1) + self.pos_embed  # (B, N, D)
        patches = self.to_pixels(self.backbone(tokens))  # (B, N, C P P)
        side = self.grid * self.patch_size
        images = F.fold(patches.transpose(1, 2), (side, side), self.patch_size, stride=self.patch_size)
        return torch.tanh(images)


class TransformerDiscriminator(nn.Module):
    """(B, C, H, W) images in [-1, 1] -> (B,) logits: a ViT reading its class token.

    Args:
        img_size, patch_size, channels: the ``PatchEmbed``'s.
        embed_dim, depth, num_heads, mlp_ratio, drop: the ``Transformer``'s.
    """

    def __init__(
        self,
        img_size: int = 28,
        patch_size: int = 4,
        channels: int = 1,
        embed_dim: int = 128,
        depth: int = 4,
        num_heads: int = 4,
        mlp_ratio: float = 4.0,
        drop: float = 0.0,
    ) -> None:
        super().__init__()
        self.frontend = PatchEmbed(img_size, patch_size, channels, embed_dim, cls_token=True, drop=drop)
        self.backbone = Transformer(embed_dim, depth, num_heads, mlp_ratio, drop=drop)
        self.classify = nn.Linear(embed_dim, 1)

    def forward(self, images: Tensor) -> Tensor:
        return self.classify(self.backbone(self.frontend(images), num_outputs=1)[:, 0]).squeeze(1)


class GAN(nn.Module):
    """A generator and its discriminator, trained together and shipped as one checkpoint.

    Args:
        generator: (B, Z) -> (B, C, H, W) in [-1, 1], with a ``latent_dim`` attribute.
        discriminator: (B, C, H, W) -> (B,) logits.
    """

    def __init__(self, generator: nn.Module, discriminator: nn.Module) -> None:
        super().__init__()
        self.generator, self.discriminator = generator, discriminator

    @property
    def latent_dim(self) -> int:
        return self.generator.latent_dim

    def noise(self, num: int, generator: torch.Generator | None = None, device: torch.device | None = None) -> Tensor:
        """(num, Z) standard normal noise."""
        return torch.randn(num, self.latent_dim, generator=generator).to(device or next(self.parameters()).device)

    def forward(self, z: Tensor) -> Tensor:
        """(B, Z) noise -> (B, C, H, W) images in [-1, 1]."""
        return self.generator(z)

    @torch.no_grad()
    def sample(self, num: int, seed: int = 0, batch_size: int = 500) -> Tensor:
        """``num`` images from noise seeded by ``seed``, ``batch_size`` at a time, in the mode the
        model is in: (num, C, H, W) float32 pixels in [0, 1]."""
        noise = self.noise(num, torch.Generator().manual_seed(seed))
        return torch.cat([(self(z).float() + 1) / 2 for z in noise.split(batch_size)])
