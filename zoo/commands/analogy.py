"""``zoo analogy NAME A B C [--topn N]``: "A is to B as C is to ?" (``zoo analogy NAME man woman king``)."""

from __future__ import annotations

from collections.abc import Sequence

from zoo.commands.base import ArgumentParser


def main(argv: Sequence[str]) -> None:
    parser = ArgumentParser(prog="zoo analogy")
    parser.add_argument("model", help="a named word-vector checkpoint (zoo list), or a checkpoint folder")
    parser.add_argument("a", help="A of 'A is to B as C is to ?', e.g. man")
    parser.add_argument("b", help="B, e.g. woman")
    parser.add_argument("c", help="C, e.g. king")
    parser.add_argument("--topn", type=int, default=5, help="answers, best first")
    args = parser.parse_args(argv)
    from zoo.hub.pretrained import load

    answers = load(args.model).word_vectors.analogy(args.a, args.b, args.c, args.topn)
    print(f"{args.a} is to {args.b} as {args.c} is to: " + ", ".join(f"{w} {s:.3f}" for w, s in answers))
