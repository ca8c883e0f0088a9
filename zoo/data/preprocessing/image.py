"""Image preprocessing: an image file, a PIL image or an array of pixels -> the model's input."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

from zoo.data.preprocessing import input_name
from zoo.data.transforms import image_eval_transform
from zoo.errors import ZooError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
CHANNELS = (1, 3, 4)  # grey, RGB, RGBA: what an array's channel axis may hold
ImageInput = str | Path | Image.Image | np.ndarray | Tensor


@dataclass(frozen=True)
class ImagePreprocessing:
    """Any image -> normalised float (channels, size, size).

    An image is a file, a PIL image, or pixels in memory: a numpy array or torch tensor of
    shape (H, W), (H, W, C) or (C, H, W) with C 1, 3 or 4, uint8 (0-255) or float (0-1). An
    array whose first and last axes could both be channels is read as (H, W, C) if numpy and
    (C, H, W) if torch, their usual layouts. Grey images are repeated to 3 channels and colour
    images averaged to 1 as the model needs; the shorter side is resized to ``size`` and the
    centre cropped square. In-memory pixels go through the same steps as a file holding them.

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

    def open(self, source: ImageInput, name: str | None = None) -> Image.Image:
        """An image file (decoded), a PIL image or pixels -> a PIL image in the model's mode
        ("L" or "RGB"); a ZooError names ``name`` (default: the path)."""
        mode = "L" if self.channels == 1 else "RGB"
        if isinstance(source, Image.Image):
            return source.convert(mode)
        if isinstance(source, (np.ndarray, Tensor)):
            return pixels_to_image(source, name or input_name(source, 1)).convert(mode)
        try:
            with Image.open(source) as image:
                image.load()
                return image.convert(mode)
        except FileNotFoundError:
            raise ZooError(f"{name or source}: no such file") from None
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as err:
            raise ZooError(f"{name or source}: not a readable image ({err.__class__.__name__}: {err})") from None

    def to_uint8(self, image: Image.Image) -> Tensor:
        """PIL image -> uint8 (channels, size, size): resize the shorter side, crop the centre."""
        x = TF.pil_to_tensor(image)
        x = TF.resize(x, self.size, antialias=True)
        return TF.center_crop(x, [self.size, self.size])

    def normalize(self) -> v2.Compose:
        """uint8 (C, H, W) -> normalised float (C, H, W)."""
        return image_eval_transform(self.mean, self.std)

    def load(self, source: ImageInput, name: str | None = None) -> Tensor:
        """One image -> the model's input, float (channels, size, size)."""
        return self.normalize()(self.to_uint8(self.open(source, name)))

    def batch(self, inputs: Sequence[ImageInput], first: int = 1) -> Tensor:
        """Images (in-memory ones numbered from ``first`` in errors, files named by path) ->
        the model's (B, channels, size, size) input."""
        return torch.stack([self.load(x, input_name(x, i)) for i, x in enumerate(inputs, start=first)])

    def files(self) -> dict[str, str]:
        """Files the checkpoint stores beside config.yaml: none for images."""
        return {}


def from_dict(args: dict, files: dict[str, str]) -> ImagePreprocessing:
    return ImagePreprocessing(**args)


def pixels_to_image(pixels: np.ndarray | Tensor, name: str) -> Image.Image:
    """(H, W), (H, W, C) or (C, H, W) pixels, uint8 or float in [0, 1] -> a PIL image (see
    :class:`ImagePreprocessing` for how the layout is read)."""
    channels_first_default = isinstance(pixels, Tensor)
    array = pixels.detach().cpu().numpy() if isinstance(pixels, Tensor) else np.asarray(pixels)
    if array.ndim == 3:
        last, first = array.shape[-1] in CHANNELS, array.shape[0] in CHANNELS
        if first and (not last or channels_first_default):
            array = array.transpose(1, 2, 0)
        elif not last:
            shape = tuple(array.shape)
            raise ZooError(f"{name}: pixels of shape {shape}; give (H, W), (H, W, C) or (C, H, W) with C 1, 3 or 4")
        if array.shape[-1] == 1:
            array = array[..., 0]
    elif array.ndim != 2:
        raise ZooError(f"{name}: pixels of shape {tuple(array.shape)}; give (H, W), (H, W, C) or (C, H, W)")
    if array.size == 0:
        raise ZooError(f"{name}: the image is empty (shape {tuple(array.shape)})")
    return Image.fromarray(to_uint8_pixels(array, name))


def to_uint8_pixels(array: np.ndarray, name: str) -> np.ndarray:
    """uint8 as it is, floats in [0, 1] scaled to 0-255 and rounded; anything else is refused."""
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array)
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
            raise ZooError(f"{name}: float pixels must lie in [0, 1]; scale them, or give uint8 0-255")
        return np.ascontiguousarray(np.round(array * 255).astype(np.uint8))
    raise ZooError(f"{name}: pixels of dtype {array.dtype}; give uint8 (0-255) or float (0-1)")
