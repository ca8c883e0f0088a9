"""The one per-label splitter: its rounding, its seed, and the splits it made before (Rotten Tomatoes)."""

from collections import Counter

import pytest
import torch

from zoo.data.splits import stratified_split


def labels_of(counts: dict[str, int]) -> list[str]:
    return [label for label, n in counts.items() for _ in range(n)]


def test_each_part_takes_its_rounded_fraction_of_each_label_and_the_parts_partition_the_input():
    labels = labels_of({"a": 50, "b": 31, "c": 7})
    parts = stratified_split(labels, (0.1, 0.2), seed=3)
    assert sorted(i for part in parts for i in part) == list(range(len(labels)))
    counts = [Counter(labels[i] for i in part) for part in parts]
    assert counts[1] == {"a": 5, "b": 3, "c": 1}  # round(5.0), round(3.1), round(0.7)
    assert counts[2] == {"a": 10, "b": 6, "c": 1}  # round(10.0), round(6.2), round(1.4)
    assert counts[0] == {"a": 35, "b": 22, "c": 5}


def test_every_label_keeps_a_training_example_and_gives_one_while_it_can():
    labels = labels_of({"one": 1, "two": 2, "three": 3, "many": 40})
    train, val = stratified_split(labels, (0.01,))  # 1 % rounds to 0: each label that can spare one gives one
    assert Counter(labels[i] for i in train) == {"one": 1, "two": 1, "three": 2, "many": 39}
    assert Counter(labels[i] for i in val) == {"two": 1, "three": 1, "many": 1}
    train, val, test = stratified_split(labels, (0.5, 0.5))  # more than there is: later parts get fewer
    assert Counter(labels[i] for i in train) == {"one": 1, "two": 1, "three": 1, "many": 1}
    assert Counter(labels[i] for i in val) == {"two": 1, "three": 2, "many": 20}
    assert Counter(labels[i] for i in test) == {"many": 19}


def test_the_split_is_fixed_by_the_seed():
    labels = labels_of({"a": 20, "b": 20})
    first = stratified_split(labels, (0.25,), seed=1)
    torch.manual_seed(123)  # the global seed does not move it
    assert stratified_split(labels, (0.25,), seed=1) == first
    assert stratified_split(labels, (0.25,), seed=2) != first


def split_before(texts, labels, fractions, seed=0):
    """``zoo.data.text_classification.stratified_split`` as it was when Rotten Tomatoes' full
    splits were made (the test split of the shipped text checkpoints' cards): no minimum of one."""
    generator = torch.Generator().manual_seed(seed)
    parts = [([], []) for _ in range(len(fractions) + 1)]
    for label in sorted(set(labels)):
        items = [t for t, y in zip(texts, labels) if y == label]
        order = torch.randperm(len(items), generator=generator).tolist()
        start = 0
        for part, fraction in zip(parts[1:], fractions):
            n = min(len(items) - 1 - start, round(fraction * len(items)))
            for i in order[start : start + max(0, n)]:
                part[0].append(items[i])
                part[1].append(label)
            start += max(0, n)
        for i in order[start:]:
            parts[0][0].append(items[i])
            parts[0][1].append(label)
    return parts


@pytest.mark.parametrize("counts", [{"fresh": 7347, "rotten": 5405}, {"fresh": 6, "rotten": 15}, {"a": 25, "b": 95}])
def test_it_makes_the_splits_the_rotten_tomatoes_checkpoints_were_measured_on(counts):
    """Same texts, same order, in every part, wherever 10 % of a label rounds to one or more (n >= 6)."""
    labels = labels_of(counts)
    texts = [f"{label} {i}" for i, label in enumerate(labels)]
    parts = stratified_split(labels, (0.1, 0.1))
    assert [([texts[i] for i in part], [labels[i] for i in part]) for part in parts] == split_before(
        texts, labels, (0.1, 0.1)
    )
