"""Add a checkpoint folder in ``checkpoints/`` to the table of named checkpoints.

    python -m zoo.hub.ship NAME [--description TEXT]

Reads ``checkpoints/NAME/metrics.json`` and the weights' sha256, and measures the model on
the embedded Fashion-MNIST test images (a subset of the official test set) at the
precision it was tested with, so CI can check that it still reproduces that number.
"""

from __future__ import annotations

import argparse

from zoo.data.fashion_mnist import FashionMNISTDataModule
from zoo.hub.evaluate import evaluate
from zoo.hub.pretrained import load
from zoo.hub.registry import add_to_index, shipped_dir


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m zoo.hub.ship", description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("--description", default="")
    args = parser.parse_args()
    folder = shipped_dir() / args.name
    model = load(folder)
    measured = evaluate(model, FashionMNISTDataModule(variant="embedded"), model.metrics["precision"])
    task = model.config.get("task", "image-classification")
    entry = add_to_index(
        args.name, folder, task, {"embedded_test/acc": round(measured["test/acc"], 6)}, args.description
    )
    print(
        f"{entry.name}: sha256 {entry.sha256[:12]}..., test/acc {entry.metrics['test/acc']:.4f}, "
        f"embedded_test/acc {entry.metrics['embedded_test/acc']:.4f}"
    )


if __name__ == "__main__":
    main()
