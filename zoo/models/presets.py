"""Size presets: the standard Transformer widths and depths by name.

Dosovitskiy et al. 2020 (ViT-B), Touvron et al. 2021 (DeiT-Ti/S): tiny, small, base; the
same sizes serve every modality (Gong et al. 2021: AST is a DeiT on spectrogram patches).
"""

from __future__ import annotations

from typing import Literal

from zoo.backbone import Transformer
from zoo.frontends import PatchEmbed, SpectrogramPatchEmbed
from zoo.heads import ClassifierHead
from zoo.models.unimodal import UnimodalModel

Size = Literal["tiny", "small", "base"]

# size -> (embed_dim, depth, num_heads)
SIZES: dict[str, tuple[int, int, int]] = {
    "tiny": (192, 12, 3),
    "small": (384, 12, 6),
    "base": (768, 12, 12),
}


def transformer(size: Size, depth: int | None = None, drop_path: float = 0.0) -> Transformer:
    """The shared backbone at a named size; ``depth`` overrides the preset's depth."""
    embed_dim, preset_depth, num_heads = SIZES[size]
    return Transformer(embed_dim, depth or preset_depth, num_heads, drop_path=drop_path)


def vision_transformer(
    size: Size = "tiny",
    img_size: int = 224,
    patch_size: int = 16,
    in_chans: int = 3,
    num_classes: int = 1000,
    depth: int | None = None,
    drop_path: float = 0.0,
) -> UnimodalModel:
    """A ViT image classifier: PatchEmbed + Transformer + ClassifierHead(pool="cls")."""
    backbone = transformer(size, depth, drop_path)
    frontend = PatchEmbed(img_size, patch_size, in_chans, backbone.embed_dim)
    return UnimodalModel(frontend, backbone, ClassifierHead(backbone.embed_dim, num_classes))


def audio_spectrogram_transformer(
    size: Size = "tiny",
    num_classes: int = 527,
    sample_rate: int = 16_000,
    max_seconds: float = 3.0,
    n_mels: int = 64,
    patch_size: int = 16,
    patch_stride: tuple[int, int] = (16, 8),
    depth: int | None = None,
    drop_path: float = 0.0,
) -> UnimodalModel:
    """An AST audio classifier: SpectrogramPatchEmbed + Transformer + ClassifierHead(pool="cls").

    Takes (B, T) waveforms at ``sample_rate``, zero-padded, up to ``max_seconds`` long.
    """
    backbone = transformer(size, depth, drop_path)
    frontend = SpectrogramPatchEmbed(
        sample_rate, max_seconds, n_mels, patch_size, patch_stride, embed_dim=backbone.embed_dim
    )
    return UnimodalModel(frontend, backbone, ClassifierHead(backbone.embed_dim, num_classes))
