"""Warm-up + cosine learning-rate schedule."""

import itertools
import math

import pytest
import torch

from zoo.tasks import WarmupCosineLR


def _lrs(total: int, **kwargs) -> list[float]:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    sched = WarmupCosineLR(opt, total, **kwargs)
    lrs = []
    for _ in range(total):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


def test_linear_warmup_then_cosine_to_the_floor():
    lrs = _lrs(100, warmup_fraction=0.1, min_lr_ratio=0.1)
    assert lrs[:10] == pytest.approx([(i + 1) / 10 for i in range(10)])
    assert lrs[10] == pytest.approx(1.0)
    assert lrs[55] == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 45 / 90)))
    assert lrs[-1] == pytest.approx(0.1, abs=1e-3) and all(a >= b for a, b in itertools.pairwise(lrs[10:]))


def test_no_warmup_starts_at_the_base_lr():
    assert _lrs(10, warmup_fraction=0.0)[0] == pytest.approx(1.0)


def test_inverse_square_root_is_the_2017_papers_formula():
    from zoo.tasks import InverseSqrtLR

    d_model, warmup = 512, 4000
    peak = d_model**-0.5 * warmup**-0.5  # 7.0e-4, reached at step 4,000

    def paper(step: int) -> float:
        return d_model**-0.5 * min(step**-0.5, step * warmup**-1.5)

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=peak)
    sched = InverseSqrtLR(opt, total_steps=10, warmup_steps=warmup)
    for step in (1, 2, 3):  # what the optimiser is given, step by step
        assert opt.param_groups[0]["lr"] == pytest.approx(paper(step), rel=1e-9)
        opt.step()
        sched.step()
    for step in (100, 3999, 4000, 4001, 8000, 16_000, 100_000):  # the schedule's factor (step counted from 0)
        assert peak * sched.lr_factor(step - 1) == pytest.approx(paper(step), rel=1e-9), step
    assert peak == pytest.approx(6.99e-4, abs=1e-6)
