"""The one seeded per-label splitter: validation carved from a user's folder, a corpus cut into
train / val / test (Rotten Tomatoes' full splits are made by it, so its rounding is fixed)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import torch


def stratified_split(labels: Sequence[Hashable], fractions: Sequence[float], seed: int = 0) -> list[list[int]]:
    """Indices into ``labels`` in ``len(fractions) + 1`` parts, the same ones for the same seed.

    Per label (in sorted order, each shuffled by one seeded generator): part ``i + 1`` takes
    ``round(fractions[i] * n)`` of the label's ``n`` examples, at least one, and part 0 keeps
    the rest, at least one: a label of one example stays whole in part 0, and later parts get
    fewer when too few are left. Indices come label by label, in shuffled order.

    Example:
        ``train, val = stratified_split(["a"] * 10 + ["b"] * 3, (0.2,))`` gives ``val`` two
        "a"s and one "b" (0.6 rounds to 1), ``train`` eight "a"s and two "b"s.
    """
    generator = torch.Generator().manual_seed(seed)
    parts: list[list[int]] = [[] for _ in range(len(fractions) + 1)]
    for label in sorted(set(labels)):
        items = [i for i, y in enumerate(labels) if y == label]
        order = [items[j] for j in torch.randperm(len(items), generator=generator).tolist()]
        start = 0
        for part, fraction in zip(parts[1:], fractions):
            count = max(0, min(len(items) - 1 - start, max(1, round(fraction * len(items)))))
            part += order[start : start + count]
            start += count
        parts[0] += order[start:]
    return parts
