"""What a model needs done to a raw input file before it sees it, stored in every zoo checkpoint.

A checkpoint's ``config.yaml`` holds ``preprocessing: {kind: image, ...}``;
:func:`preprocessing_from_dict` rebuilds the object, whose ``load(path)`` turns one file
into the model's input tensor. Text and audio add their own kinds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from torch import Tensor
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

from zoo.data.transforms import image_eval_transform
from zoo.errors import ZooError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


@dataclass(frozen=True)
class ImagePreprocessing:
    """Any image file -> normalised float (channels, size, size).

    Grey images are repeated to 3 channels and colour images averaged to 1 as the model
    needs; the shorter side is resized to ``size`` and the centre cropped square.

    Args:
        size: the square side the model was trained on.
        channels: 1 (grey) or 3 (RGB).
        mean, std: per-channel normalisation of pixels scaled to [0, 1].
    """

    size: int
    channels: int
    mean: Sequence[float]
    std: Sequence[float]
    kind: str = "image"

    def __post_init__(self) -> None:
        if self.channels not in (1, 3):
            raise ZooError(f"image preprocessing needs channels 1 or 3, got {self.channels}")
        if not len(self.mean) == len(self.std) == self.channels:
            raise ZooError(f"mean and std need {self.channels} values each, got {list(self.mean)}, {list(self.std)}")

    def to_dict(self) -> dict:
        return {**asdict(self), "mean": list(self.mean), "std": list(self.std)}

    def open(self, path: str | Path) -> Image.Image:
        """Decode one image file, or raise ZooError naming it."""
        try:
            with Image.open(path) as image:
                image.load()
                return image.convert("L" if self.channels == 1 else "RGB")
        except FileNotFoundError:
            raise ZooError(f"{path}: no such file") from None
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as err:
            raise ZooError(f"{path}: not a readable image ({err.__class__.__name__}: {err})") from None

    def to_uint8(self, image: Image.Image) -> Tensor:
        """PIL image -> uint8 (channels, size, size): resize the shorter side, crop the centre."""
        x = TF.pil_to_tensor(image)
        x = TF.resize(x, self.size, antialias=True)
        return TF.center_crop(x, [self.size, self.size])

    def normalize(self) -> v2.Compose:
        """uint8 (C, H, W) -> normalised float (C, H, W)."""
        return image_eval_transform(self.mean, self.std)

    def load(self, path: str | Path) -> Tensor:
        """Image file -> the model's input, float (channels, size, size)."""
        return self.normalize()(self.to_uint8(self.open(path)))


KINDS = {"image": ImagePreprocessing}


def preprocessing_from_dict(spec: dict) -> ImagePreprocessing:
    """Rebuild the preprocessing saved in a checkpoint's config."""
    kind = spec.get("kind") if isinstance(spec, dict) else None
    if kind not in KINDS:
        raise ZooError(f"unknown preprocessing kind {kind!r}; this zoo knows: {', '.join(KINDS)}")
    try:
        return KINDS[kind](**{k: v for k, v in spec.items() if k != "kind"})
    except TypeError as err:
        raise ZooError(f"checkpoint preprocessing {spec}: {err}") from None
