"""What a Moving Fashion model reads, and the shortcuts it could have taken instead.

For each checkpoint, the held-out test metrics with the clips as they are, with one frame
repeated (``frames: single``: what a still picture tells) and with the frames shuffled (what
motion and order add); beside them the baselines that need no model: chance of each ranking,
the majority class for zero-shot, and how well the spoken names' durations alone give the
garment away (a nearest-mean classifier on the duration of each training voice's utterances,
scored on the held-out voices' utterances).

    python benchmarks/moving_fashion_probes.py runs/vatt_tiny_moving_fashion_quick/checkpoint [CKPT ...]

Prints a Markdown table a row per checkpoint and probe; ``--variant full`` for the prepared set.
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np

from zoo.datasets.moving_fashion import MovingFashionDataModule, parts_path
from zoo.datasets.moving_fashion_speech import SAMPLE_RATE, read_bank
from zoo.hub.pretrained import load
from zoo.pipeline.evaluate import evaluate
from zoo.precision import cpu_description
from zoo.tasks.retrieval import chance

METRICS = (
    "t2v_r1",
    "t2v_r10",
    "t2v_median_rank",
    "v2t_r1",
    "v2t_r10",
    "a2v_r1",
    "a2v_r10",
    "a2v_median_rank",
    "zero_shot_acc",
)


def probe(checkpoint: str, variant: str) -> list[tuple[str, dict]]:
    """(probe, test metrics) for the clips as they are, one frame, shuffled frames."""
    model = load(checkpoint)
    rows = []
    for frames in ("all", "single", "shuffled"):
        data = MovingFashionDataModule(variant=variant, frames=frames)
        measured = evaluate(model, data, model.metrics.get("precision", "32-true"))
        rows.append((frames, {k.removeprefix("test/"): v for k, v in measured.items()}))
    return rows


def chance_row(variant: str) -> dict:
    """A random ranking's metrics on the same galleries, and the majority class's zero-shot accuracy."""
    data = MovingFashionDataModule(variant=variant)
    data.setup()
    test = data.splits["test"]
    labels = [p.garments[0].label for p in (test.plan(i)[0] for i in range(len(test))) if len(p.garments) == 1]
    n = len(test)
    t2v, v2t, a2v = chance(n), chance(2 * n, 2), chance(n)
    row = {f"t2v_{k}": v for k, v in t2v.items()} | {f"v2t_{k}": v for k, v in v2t.items()}
    row |= {f"a2v_{k}": v for k, v in a2v.items()}
    row["zero_shot_acc"] = 100.0 * Counter(labels).most_common(1)[0][1] / len(labels)
    return row


def duration_shortcut(variant: str) -> tuple[float, float]:
    """(accuracy %, chance %) of telling the garment from its spoken name's duration alone."""
    bank = read_bank(parts_path(variant, "speech"))

    def voiced_seconds(samples: np.ndarray) -> float:
        loud = np.flatnonzero(np.abs(samples) > 0.05 * np.abs(samples).max())
        return (loud[-1] - loud[0]) / SAMPLE_RATE if len(loud) else 0.0

    train = [(c, voiced_seconds(s)) for c, _, s in bank["train"]]
    classes = sorted({c for c, _ in train})
    means = np.array([np.mean([d for c, d in train if c == k]) for k in classes])
    test = [(c, voiced_seconds(s)) for c, _, s in bank["test"]]
    right = sum(classes[int(np.abs(means - d).argmin())] == c for c, d in test)
    return 100.0 * right / len(test), 100.0 / len(classes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+", help="zoo checkpoints trained on Moving Fashion")
    parser.add_argument("--variant", default="embedded", choices=("embedded", "full"))
    args = parser.parse_args()
    print(f"Moving Fashion ({args.variant}) test set, on {cpu_description()}\n")
    print("| model | probe | " + " | ".join(METRICS) + " |")
    print("| --- | --- |" + " ---: |" * len(METRICS))
    floor = chance_row(args.variant)
    print("| chance / majority class | - | " + " | ".join(f"{floor[k]:.1f}" for k in METRICS) + " |")
    for checkpoint in args.checkpoints:
        for frames, metrics in probe(checkpoint, args.variant):
            print(f"| {checkpoint} | {frames} | " + " | ".join(f"{metrics[k]:.1f}" for k in METRICS) + " |")
    accuracy, guess = duration_shortcut(args.variant)
    print(f"\nThe garment from its spoken name's duration alone (nearest mean over training voices, held-out voices):"
          f" {accuracy:.1f} % (chance {guess:.1f} %)")  # fmt: skip


if __name__ == "__main__":
    main()
