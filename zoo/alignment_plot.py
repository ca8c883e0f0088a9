"""A translation's cross-attention as a picture (matplotlib, no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from torch import Tensor

from zoo.errors import ZooError
from zoo.run_plots import save_figure


def plot_alignment(source: Sequence[str], target: Sequence[str], weights: Tensor, path: str | Path) -> Path:
    """Draw (T, S) cross-attention ``weights`` as a heat map, source tokens across, target
    tokens down, and write it to the PNG ``path`` atomically (nothing is left half-written)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if tuple(weights.shape) != (len(target), len(source)):
        raise ZooError(f"weights are {tuple(weights.shape)}; expected ({len(target)}, {len(source)}) target x source")
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ZooError(f"the alignment is written as PNG; name the file .png, not {path.name!r}")
    if not path.parent.is_dir():
        raise ZooError(f"{path.parent} is not a folder; create it first")
    fig, ax = plt.subplots(figsize=(max(4.0, 0.32 * len(source) + 1.5), max(3.0, 0.32 * len(target) + 1.2)))
    ax.imshow(weights.numpy(), cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(source)), [t.strip() or repr(t) for t in source], rotation=90, fontsize=8)
    ax.set_yticks(range(len(target)), [t.strip() or repr(t) for t in target], fontsize=8)
    ax.set_xlabel("source")
    ax.set_ylabel("translation")
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
    return path
