"""Pictures of a finished run (matplotlib, no display needed): its curves and, for a classifier,
its confusion matrix. ``zoo run`` and ``zoo finetune`` write both beside ``metrics.json``.

- ``curves.png``: from the run's CSV log (Lightning's ``CSVLogger``): the training loss (each
  logged step, and its mean per epoch) and the validation loss by epoch on one axis, the
  validation metrics by epoch (accuracy, perplexity, ...) on a second, and the learning rate
  on a third where the run logged one (``LearningRateMonitor``'s ``lr-*`` columns).
- ``confusion_matrix.png``: the test confusion matrix with the label names, drawn by
  torchmetrics' own ``plot_confusion_matrix``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

from zoo.data.cache import write_atomically

Series = dict[str, tuple[list[float], list[float]]]  # name -> (x, y)


def read_log(path: Path) -> list[dict[str, str]]:
    """The rows of a Lightning ``metrics.csv`` (each row a step or an epoch's values; blanks elsewhere)."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def training_log(run: Path) -> Path | None:
    """The newest ``metrics.csv`` under ``run`` that logged training (a re-export's test writes
    one of its own), or None."""
    for log in sorted(run.rglob("metrics.csv"), reverse=True):
        with open(log) as f:
            if "train/" in f.readline():
                return log
    return None


def write_run_plots(run: Path, metrics: dict, labels: Sequence[str] | None) -> list[Path]:
    """``run/curves.png`` from its training log and, when ``metrics`` holds a confusion matrix
    and there are labels, ``run/confusion_matrix.png``; returns the files written."""
    written = []
    log = training_log(run)
    if log is not None and plot_curves(log, run / "curves.png", title=str(metrics.get("recipe", run.name))):
        written.append(run / "curves.png")
    if metrics.get("confusion_matrix") and labels:
        written.append(plot_confusion_matrix(metrics["confusion_matrix"], labels, run / "confusion_matrix.png"))
    return written


def curves(rows: list[dict[str, str]]) -> dict[str, Series]:
    """The log's series by panel: ``loss`` (x: epochs, fractional for steps), ``metrics``
    (validation, by epoch) and ``lr``; a panel with nothing to draw is left out."""
    steps_per_epoch = _steps_per_epoch(rows)
    panels: dict[str, Series] = {"loss": {}, "metrics": {}, "lr": {}}
    for name in rows[0] if rows else []:
        points = [(row, float(row[name])) for row in rows if _number(row.get(name))]
        if not points or name in ("epoch", "step"):
            continue
        if name.startswith("train/") and name.endswith("loss"):
            x = [(int(row["step"]) + 1) / steps_per_epoch for row, _ in points]
            panels["loss"][f"{name} (steps)"] = (x, [y for _, y in points])
            by_epoch = _mean_by_epoch(points)
            panels["loss"][f"{name} (epoch mean)"] = (
                [epoch + 1.0 for epoch in by_epoch],
                list(by_epoch.values()),
            )
        elif name.startswith("val/"):
            panel = "loss" if name.endswith("loss") else "metrics"
            panels[panel][name] = ([int(row["epoch"]) + 1.0 for row, _ in points], [y for _, y in points])
        elif name.startswith("lr"):
            panels["lr"][name] = (
                [(int(row["step"]) + 1) / steps_per_epoch for row, _ in points],
                [y for _, y in points],
            )
    return {panel: series for panel, series in panels.items() if series}


def plot_curves(log: Path, path: Path, title: str = "") -> dict[str, Series]:
    """Draw ``log``'s curves (see ``curves``) as one PNG at ``path``, atomically; returns what it drew."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = curves(read_log(log))
    if not panels:
        return panels
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.2), squeeze=False)
    labels = {"loss": "loss", "metrics": "validation metric", "lr": "learning rate"}
    for ax, (panel, series) in zip(axes[0], panels.items()):
        for name, (x, y) in series.items():
            steps = name.endswith("(steps)")
            ax.plot(
                x, y, label=name, alpha=0.35 if steps else 1.0, lw=0.8 if steps else 1.6, marker=None if steps else "o"
            )
        ax.set(xlabel="epoch", ylabel=labels[panel], title=labels[panel])
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)
    return panels


def confusion_figure(matrix: Sequence[Sequence[int]], labels: Sequence[str]):
    """(K, K) counts, true classes down and predictions across -> a matplotlib Figure with the
    label names on both axes and each count written in its cell (torchmetrics' drawing)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch
    from torchmetrics.utilities.plot import plot_confusion_matrix

    side = max(5.0, 0.55 * len(labels) + 2.5)
    fig, ax = plt.subplots(figsize=(side, side))
    plot_confusion_matrix(torch.tensor(matrix), ax=ax, add_text=True, labels=list(labels))
    ax.set_title(f"test confusion matrix ({sum(map(sum, matrix)):,} examples)")
    fig.tight_layout()
    return fig


def plot_confusion_matrix(matrix: Sequence[Sequence[int]], labels: Sequence[str], path: Path) -> Path:
    """Write ``confusion_figure`` as a PNG at ``path``, atomically."""
    save_figure(confusion_figure(matrix, labels), path)
    return path


def save_figure(fig, path: Path, dpi: int = 110) -> None:
    """Write a matplotlib figure as the PNG ``path`` atomically (nothing half-written) and close it."""
    import matplotlib.pyplot as plt

    try:
        write_atomically(Path(path), lambda f: fig.savefig(f, format="png", dpi=dpi))
    finally:
        plt.close(fig)


def _number(text: str | None) -> bool:
    try:
        return text is not None and text != "" and math.isfinite(float(text))
    except ValueError:
        return False


def _steps_per_epoch(rows: list[dict[str, str]]) -> float:
    """Logged steps per epoch: the step between consecutive validations, else the last training
    step of the first epoch (1 when unknown). Test rows, logged after training, do not count."""
    ends: dict[int, int] = {}
    for row in rows:
        if _number(row.get("step")) and any(k.startswith("val/") and _number(v) for k, v in row.items()):
            ends[int(row["epoch"])] = int(row["step"])
    epochs = sorted(ends)
    if len(epochs) >= 2:
        return (ends[epochs[-1]] - ends[epochs[0]]) / (epochs[-1] - epochs[0]) or 1.0
    if epochs:
        return float(ends[epochs[0]] + 1)
    trained = [int(row["step"]) + 1 for row in rows if _number(row.get("step")) and row.get("epoch") == "0"]
    return float(max(trained, default=1))


def _mean_by_epoch(points: list[tuple[dict[str, str], float]]) -> dict[int, float]:
    sums: dict[int, list[float]] = {}
    for row, y in points:
        sums.setdefault(int(row["epoch"]), []).append(y)
    return {epoch: sum(ys) / len(ys) for epoch, ys in sorted(sums.items())}
