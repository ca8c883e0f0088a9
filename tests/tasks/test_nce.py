"""symmetric_nce against a loop written from the formula, against CLIP's cross-entropy form, and
with rows that lack a modality."""

import itertools

import torch
import torch.nn.functional as F

from zoo.tasks.nce import symmetric_nce


def by_the_formula(a, b, t, valid):
    """VATT's MIL-NCE written out pair by pair: (B, Na, d), (B, Nb, d) -> scalar."""
    a, b = F.normalize(a, dim=-1), F.normalize(b, dim=-1)
    total, count = 0.0, 0
    for i in range(len(a)):
        if not valid[i]:
            continue
        positive = torch.logsumexp(
            torch.stack([a[i, m] @ b[i, n] / t for m, n in itertools.product(range(a.shape[1]), range(b.shape[1]))]), 0
        )
        ab = [
            a[i, m] @ b[c, n] / t
            for c in range(len(a))
            if valid[c]
            for m in range(a.shape[1])
            for n in range(b.shape[1])
        ]
        ba = [
            b[i, n] @ a[c, m] / t
            for c in range(len(a))
            if valid[c]
            for n in range(b.shape[1])
            for m in range(a.shape[1])
        ]
        total = total + torch.logsumexp(torch.stack(ab), 0) + torch.logsumexp(torch.stack(ba), 0) - 2 * positive
        count += 1
    return total / count


def test_mil_nce_matches_the_formula_pair_by_pair():
    torch.manual_seed(0)
    a, b = torch.randn(5, 1, 8), torch.randn(5, 3, 8)  # a clip and its three captions
    torch.testing.assert_close(symmetric_nce(a, b, 0.07), by_the_formula(a, b, 0.07, [True] * 5))


def test_with_one_positive_it_is_clips_two_way_cross_entropy():
    torch.manual_seed(0)
    a, b = torch.randn(6, 8), torch.randn(6, 8)
    logits = F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T / 0.1
    target = torch.arange(6)
    expected = F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)
    torch.testing.assert_close(symmetric_nce(a[:, None], b[:, None], 0.1), expected)


def test_a_row_lacking_a_modality_is_neither_anchor_nor_negative():
    torch.manual_seed(0)
    a, b = torch.randn(5, 1, 8), torch.randn(5, 2, 8)
    present = torch.tensor([True, True, False, True, True])
    loss = symmetric_nce(a, b, 0.07, b_present=present)
    torch.testing.assert_close(loss, by_the_formula(a, b, 0.07, present.tolist()))
    b[2] = torch.randn(2, 8) * 100  # whatever the missing row holds
    torch.testing.assert_close(symmetric_nce(a, b, 0.07, b_present=present), loss)


def test_a_batch_with_no_pair_gives_zero_and_still_a_gradient_path():
    a = torch.randn(3, 1, 8, requires_grad=True)
    loss = symmetric_nce(a, torch.randn(3, 1, 8), 0.07, b_present=torch.zeros(3, dtype=torch.bool))
    loss.backward()
    assert loss.item() == 0.0 and a.grad is not None and torch.isfinite(a.grad).all()


def test_a_gallery_from_other_processes_adds_negatives():
    torch.manual_seed(0)
    a, b = torch.randn(4, 1, 8), torch.randn(4, 1, 8)
    other_a, other_b = torch.randn(4, 1, 8), torch.randn(4, 1, 8)
    local = symmetric_nce(a, b, 0.07)
    both = symmetric_nce(a, b, 0.07, a_all=torch.cat([a, other_a]), b_all=torch.cat([b, other_b]))
    assert both > local  # more negatives, a larger partition function
    logits = F.normalize(a[:, 0], dim=-1) @ F.normalize(torch.cat([b, other_b])[:, 0], dim=-1).T / 0.07
    logits_t = F.normalize(b[:, 0], dim=-1) @ F.normalize(torch.cat([a, other_a])[:, 0], dim=-1).T / 0.07
    expected = F.cross_entropy(logits, torch.arange(4)) + F.cross_entropy(logits_t, torch.arange(4))
    torch.testing.assert_close(both, expected)
