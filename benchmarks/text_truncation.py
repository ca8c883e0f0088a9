"""What a text checkpoint's context costs: the transfer suite's TF-IDF baselines on texts cut
to a checkpoint's first N tokens.

A checkpoint reads at most ``max_len`` tokens (``bert-tiny-english``: 128, [CLS] and [SEP]
among them); ``zoo finetune`` cuts longer texts there. Fitting the suite's baselines on the same
cut (train and test texts alike, on the suite's own split and shots of ``--set``) tells how much
of a gap to TF-IDF is the cut and how much is the model, and what ``zoo finetune --max-len``
could recover. Prints each cut's accuracies and the texts' token lengths.

    python benchmarks/text_truncation.py --set spam --shots 100 --checkpoint bert-tiny-english
"""

from __future__ import annotations

import argparse

import numpy as np
import transfer
import transfer_sets as sets

from zoo.data.tokenizer import load_tokenizer
from zoo.hub.registry import resolve
from zoo.precision import cpu_description


def token_ends(text: str, tokenizer) -> list[int]:
    """Where each of ``text``'s tokens ends, as a character offset (no special tokens)."""
    return [end for _, end in tokenizer.encode(text, add_special_tokens=False).offsets]


def cut(text: str, ends: list[int], tokens: int | None) -> str:
    """``text`` up to the end of its first ``tokens`` tokens (None: whole); ``ends``: :func:`token_ends`."""
    return text if tokens is None or len(ends) <= tokens else text[: ends[tokens - 1]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default="spam", help="a text set of the transfer suite")
    parser.add_argument("--shots", type=int, default=100, help="training examples per label")
    parser.add_argument("--checkpoint", default="bert-tiny-english", help="whose tokenizer counts the tokens")
    parser.add_argument("--cuts", default="126,254,510", help="comma-separated token counts; the whole text is added")
    args = parser.parse_args()
    transfer_set = sets.SETS[args.set]
    if transfer_set.domain != "text":
        raise SystemExit(f"--set {args.set} is a {transfer_set.domain} set; give a text set (spam, fortunes, wordnet, ...)")
    examples, source = transfer_set.load()
    pool, test = sets.split(sets.unique_texts(examples), transfer_set.test_per_label, seed=0)
    train = sets.shots(pool, args.shots, seed=0)
    tokenizer = load_tokenizer(resolve(args.checkpoint)[0])
    ends = {text: token_ends(text, tokenizer) for text, _ in train + test}  # each text encoded once
    lengths = np.array([len(ends[text]) for text, _ in train + test])
    cuts = [int(c) for c in args.cuts.split(",")]
    print(f"{args.set} ({source}): {len(train)} train, {len(test)} test texts; {cpu_description()}")
    print(f"tokens ({args.checkpoint}'s tokenizer): median {np.median(lengths):.0f}, "
          + ", ".join(f"{np.mean(lengths > c):.1%} longer than {c}" for c in cuts))  # fmt: skip
    print("| first tokens | " + " | ".join(transfer.BASELINES["text"]) + " |")
    print("| --- |" + " ---: |" * len(transfer.BASELINES["text"]))
    for tokens in [*cuts, None]:
        short_train = [(cut(text, ends[text], tokens), label) for text, label in train]
        short_test = [(cut(text, ends[text], tokens), label) for text, label in test]
        accs = [transfer.baseline(name, short_train, short_test) for name in transfer.BASELINES["text"]]
        print(f"| {tokens or 'all'} | " + " | ".join(f"{100 * a:.1f}" for a in accs) + " |", flush=True)


if __name__ == "__main__":
    main()
