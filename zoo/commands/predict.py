"""``zoo predict NAME_OR_DIR INPUT...``: top-k labels; ``--json``: one JSON object per line.

Image and audio models take files; a text model takes the texts themselves (quote each one); a
video + audio + text model takes video files and ``--labels "a bag,a sneaker,..."``, the classes
it chooses among zero-shot.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from zoo.commands.base import ArgumentParser


def main(argv: Sequence[str]) -> None:
    parser = ArgumentParser(prog="zoo predict")
    parser.add_argument("model", help="a named checkpoint (zoo list), a checkpoint folder, or hf://owner/repo")
    parser.add_argument(
        "inputs", nargs="+", help="image or audio files for an image or audio model; texts (quoted) for a text model"
    )
    parser.add_argument("--topk", type=int, default=3, help="labels to show per input")
    parser.add_argument("--json", action="store_true", help="one JSON object per input line")
    parser.add_argument(
        "--labels", type=comma_list, help='zero-shot classes for a video + audio + text model, e.g. "a bag,a sneaker"'
    )
    args = parser.parse_args(argv)
    from zoo.hub.pretrained import load

    for result in load(args.model).predict(args.inputs, topk=args.topk, labels=args.labels):
        if args.json:
            print(json.dumps(result))
        else:
            print(result["input"])
            for label, prob in result["topk"]:
                print(f"  {prob:7.2%}  {label}")


def comma_list(text: str) -> list[str]:
    """ "a bag, a sneaker" -> ["a bag", "a sneaker"]."""
    return [part.strip() for part in text.split(",")]
