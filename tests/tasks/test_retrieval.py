"""Retrieval ranks, R@K and chance, on galleries whose answers are known."""

import random

import pytest
import torch

from zoo.tasks.retrieval import chance, ranks, recall_at


def test_ranks_count_the_gallery_items_above_the_best_right_one():
    gallery = torch.eye(4)
    queries = torch.tensor([[1.0, 0, 0, 0], [0.9, 0.5, 0, 0], [0, 0, 0, 1.0]])
    right = torch.tensor([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 1]], dtype=torch.bool)
    assert ranks(queries, gallery, right).tolist() == [1, 2, 1]  # query 2: item 3 is right too


def test_a_constant_embedding_ranks_last_not_first():
    assert ranks(torch.ones(3, 2), torch.ones(3, 2), torch.eye(3, dtype=torch.bool)).tolist() == [3, 3, 3]


def test_recall_and_median_rank():
    metrics = recall_at(torch.tensor([1, 2, 7, 20]))
    assert metrics == {"r1": 25.0, "r5": 50.0, "r10": 75.0, "median_rank": 2.0}


@pytest.mark.parametrize(("gallery", "right"), [(100, 1), (60, 3)])
def test_chance_is_what_random_rankings_score(gallery, right):
    expected = chance(gallery, right)
    rng = random.Random(0)
    best = [min(rng.sample(range(1, gallery + 1), right)) for _ in range(20_000)]
    for k in (1, 5, 10):
        assert abs(expected[f"r{k}"] - 100 * sum(b <= k for b in best) / len(best)) < 1.0
    assert abs(expected["median_rank"] - sorted(best)[len(best) // 2]) <= 1
    assert chance(1000)["r1"] == pytest.approx(0.1)
