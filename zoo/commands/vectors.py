"""``zoo vectors NAME --output FILE``: a checkpoint's word vectors in word2vec text format."""

from __future__ import annotations

from collections.abc import Sequence

from zoo.commands.base import ArgumentParser


def main(argv: Sequence[str]) -> None:
    parser = ArgumentParser(prog="zoo vectors")
    parser.add_argument("model", help="a named word-vector checkpoint (zoo list), or a checkpoint folder")
    parser.add_argument(
        "--output", required=True, help="the file to write (gensim reads it with KeyedVectors.load_word2vec_format)"
    )
    args = parser.parse_args(argv)
    from zoo.hub.pretrained import load

    vectors = load(args.model).word_vectors
    print(f"wrote {len(vectors):,} vectors of {vectors.dim} to {vectors.save(args.output)}")
