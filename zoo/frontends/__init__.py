"""Front-ends: turn one modality's raw input into (B, N, D) tokens with positions."""

from zoo.frontends.audio import LogMel, SpecAugment, SpectrogramPatchEmbed
from zoo.frontends.conv_tokenizer import ConvTokenizer
from zoo.frontends.image import PatchEmbed
from zoo.frontends.position import resample_2d, sincos_2d, sinusoidal_encoding
from zoo.frontends.text import TokenEmbed

__all__ = [
    "ConvTokenizer",
    "LogMel",
    "PatchEmbed",
    "SpecAugment",
    "SpectrogramPatchEmbed",
    "TokenEmbed",
    "resample_2d",
    "sincos_2d",
    "sinusoidal_encoding",
]
