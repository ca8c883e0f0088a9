"""Retrieval metrics: where the right items rank among a gallery (R@K, median rank), and chance.

Embeddings are compared by cosine similarity. A query may have several right items (a clip's
captions): its rank is that of the best-ranked one, as video-to-text retrieval counts it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor


def ranks(queries: Tensor, gallery: Tensor, right: Tensor) -> Tensor:
    """(Q, d) queries, (G, d) gallery, (Q, G) bool right items -> (Q,) int64 rank of each
    query's best-ranked right item, 1 = first. Ties count against the query (a constant
    embedding ranks last, not first)."""
    sim = F.normalize(queries.float(), dim=-1) @ F.normalize(gallery.float(), dim=-1).T  # (Q, G)
    best = sim.masked_fill(~right, float("-inf")).amax(dim=1, keepdim=True)  # (Q, 1)
    return ((sim >= best) & ~right).sum(dim=1) + 1


def recall_at(rank: Tensor, ks: Sequence[int] = (1, 5, 10)) -> dict[str, float]:
    """(Q,) ranks -> {"r1": share of queries ranked 1, ..., "median_rank": ...}, shares in %."""
    out = {f"r{k}": 100.0 * (rank <= k).float().mean().item() for k in ks}
    out["median_rank"] = rank.float().median().item()
    return out


def chance(gallery_size: int, num_right: int = 1, ks: Sequence[int] = (1, 5, 10)) -> dict[str, float]:
    """What a random ranking scores: R@K = 1 - C(G - r, K) / C(G, K) for r right items among G,
    and the median of the best right item's rank."""
    G, r = gallery_size, num_right
    out = {f"r{k}": 100.0 * (1.0 - math.comb(G - r, min(k, G)) / math.comb(G, min(k, G))) for k in ks}
    cdf, rank = 0.0, 0  # P(best rank <= j), accumulated until it passes one half
    while cdf < 0.5:
        rank += 1
        cdf = 1.0 - math.comb(G - r, rank) / math.comb(G, rank)
    out["median_rank"] = float(rank)
    return out
