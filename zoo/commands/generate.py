"""``zoo generate NAME_OR_DIR --prompt TEXT``: print the prompt and its continuation."""

from __future__ import annotations

from collections.abc import Sequence

from zoo.commands.base import ArgumentParser
from zoo.errors import ZooError


def main(argv: Sequence[str]) -> None:
    parser = ArgumentParser(prog="zoo generate")
    parser.add_argument("model", help="a named language-model checkpoint (zoo list), or a checkpoint folder")
    parser.add_argument("--prompt", required=True, help="the text to continue")
    parser.add_argument("--max-new-tokens", type=int, default=60)
    parser.add_argument("--strategy", choices=["greedy", "sample", "beam"], default="greedy")
    parser.add_argument("--temperature", type=float, default=1.0, help="sample: below 1 is more conservative")
    parser.add_argument("--top-k", type=int, help="sample from the k most likely tokens only")
    parser.add_argument("--top-p", type=float, help="sample from the smallest set holding this probability")
    parser.add_argument("--num-beams", type=int, default=4, help="beam: hypotheses kept")
    parser.add_argument("--seed", type=int, default=0, help="sample: random seed")
    args = parser.parse_args(argv)
    sampling = {"--temperature": args.temperature != 1.0, "--top-k": args.top_k, "--top-p": args.top_p}
    if args.strategy != "sample" and (given := [flag for flag, value in sampling.items() if value is not None and value]):
        raise ZooError(f"{', '.join(given)} shape sampling only; add --strategy sample")
    import torch

    from zoo.hub.pretrained import load

    options = {"strategy": args.strategy}
    if args.strategy == "sample":
        generator = torch.Generator().manual_seed(args.seed)
        options.update(temperature=args.temperature, top_k=args.top_k, top_p=args.top_p, generator=generator)
    elif args.strategy == "beam":
        options.update(num_beams=args.num_beams)
    print(load(args.model).generate(args.prompt, args.max_new_tokens, **options))
