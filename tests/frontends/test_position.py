"""Position encodings against the 2017 paper's formula."""

import math

import pytest
import torch

from zoo.frontends import resample_2d, sincos_2d, sinusoidal_encoding


def test_sinusoidal_encoding_is_the_paper_formula():
    n, d = 50, 16
    pe = sinusoidal_encoding(n, d)
    expected = torch.zeros(n, d)
    for pos in range(n):
        for i in range(d // 2):
            expected[pos, 2 * i] = math.sin(pos / 10000 ** (2 * i / d))
            expected[pos, 2 * i + 1] = math.cos(pos / 10000 ** (2 * i / d))
    torch.testing.assert_close(pe, expected, atol=1e-6, rtol=0)


def test_sinusoidal_encoding_needs_even_dim():
    with pytest.raises(ValueError, match="even dim"):
        sinusoidal_encoding(4, 7)


def test_sincos_2d_encodes_rows_then_columns():
    gh, gw, d = 3, 4, 8
    pe = sincos_2d(gh, gw, d)
    assert pe.shape == (gh * gw, d)
    rows, cols = sinusoidal_encoding(gh, d // 2), sinusoidal_encoding(gw, d // 2)
    for r in range(gh):
        for c in range(gw):
            torch.testing.assert_close(pe[r * gw + c], torch.cat([rows[r], cols[c]]))


def test_resample_keeps_same_grid_and_resizes_other():
    pe = torch.randn(1, 16, 8)
    assert resample_2d(pe, (4, 4), (4, 4)) is pe
    assert resample_2d(pe, (4, 4), (6, 5)).shape == (1, 30, 8)


def test_resample_keeps_rows_as_rows():
    rows = torch.arange(4.0)[:, None, None].expand(4, 4, 2).reshape(1, 16, 2)  # value = row index
    resized = resample_2d(rows, (4, 4), (4, 8)).reshape(4, 8, 2)  # only the width grows
    torch.testing.assert_close(resized, torch.arange(4.0)[:, None, None].expand(4, 8, 2))
