"""``zoo sample NAME --num N --output GRID.png [--seed S]``: a GAN's samples as one PNG grid."""

from __future__ import annotations

from collections.abc import Sequence

from zoo.commands.base import ArgumentParser
from zoo.errors import ZooError


def main(argv: Sequence[str]) -> None:
    parser = ArgumentParser(prog="zoo sample")
    parser.add_argument("model", help="a named GAN checkpoint (zoo list), or a checkpoint folder")
    parser.add_argument("--num", type=int, default=64, help="images to generate")
    parser.add_argument("--output", required=True, help="the PNG file to write")
    parser.add_argument("--seed", type=int, default=0, help="seeds the noise: the same seed, the same images")
    args = parser.parse_args(argv)
    if not args.output.lower().endswith(".png"):
        raise ZooError(f"--output {args.output} is not a .png file; name one, e.g. grid.png")
    from zoo.hub.pretrained import load
    from zoo.image_grid import save_grid

    images = load(args.model).sample(args.num, args.seed)
    print(f"wrote {len(images)} samples to {save_grid(images, args.output)}")
