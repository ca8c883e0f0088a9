"""Add a checkpoint folder in ``checkpoints/`` to the table of named checkpoints.

    python -m zoo.pipeline.ship NAME [--description TEXT]

Reads ``checkpoints/NAME/metrics.json`` and the weights' sha256, and measures the model on
the held-out data embedded in the package for its task (Fashion-MNIST test images, Rotten
Tomatoes test snippets, Genesis test chapters, the book of Jonah: subsets of the test splits
its card was measured on; the spoken digits' whole test split) at the precision it was
tested with, so CI can check that it still reproduces that number (``embedded_test/acc``,
``embedded_test/ppl`` or ``embedded_test/bleu``). Data that may not be embedded (the GPL-2 spoken-language clips)
gives no such number; its card metric is re-measured where the data is prepared.
"""

from __future__ import annotations

import argparse

from zoo.hub.pretrained import load
from zoo.hub.registry import add_to_index, headline_metric, shipped_dir
from zoo.pipeline.evaluate import evaluate, held_out_data


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m zoo.pipeline.ship", description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("--description", default="")
    args = parser.parse_args()
    folder = shipped_dir() / args.name
    model = load(folder)
    metric = headline_metric(model.task).removeprefix("test/")
    data, embedded = held_out_data(model), {}
    if data is None:
        print("its data is not embedded: CI checks the weights' integrity; the full test set re-measures the card")
    else:
        measured = evaluate(model, data, model.metrics["precision"])
        embedded = {f"embedded_test/{metric}": round(measured[f"test/{metric}"], 6)}
    entry = add_to_index(args.name, folder, model.task, embedded, args.description)
    print(
        f"{entry.name}: sha256 {entry.sha256[:12]}..., test/{metric} {entry.metrics[f'test/{metric}']:.4f}"
        + "".join(f", {k} {v:.4f}" for k, v in embedded.items())
    )


if __name__ == "__main__":
    main()
