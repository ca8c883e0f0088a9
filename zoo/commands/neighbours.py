"""``zoo neighbours NAME WORD... [--topn N]``: each word's nearest words by cosine similarity."""

from __future__ import annotations

from collections.abc import Sequence

from zoo.commands.base import ArgumentParser


def main(argv: Sequence[str]) -> None:
    parser = ArgumentParser(prog="zoo neighbours")
    parser.add_argument("model", help="a named word-vector checkpoint (zoo list), or a checkpoint folder")
    parser.add_argument("words", nargs="+", help="words to find the neighbours of")
    parser.add_argument("--topn", type=int, default=10, help="neighbours per word")
    args = parser.parse_args(argv)
    from zoo.hub.pretrained import load

    vectors = load(args.model).word_vectors
    for word in args.words:
        neighbours = vectors.neighbours(word, args.topn)
        print(f"{word}: " + ", ".join(f"{other} {score:.3f}" for other, score in neighbours))
