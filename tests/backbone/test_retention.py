"""Retention: its three forms give the same outputs, against the paper's sum written out; the
mixer inside the shared backbone decodes token by token as it runs in parallel."""

import pytest
import torch

from zoo.backbone import Transformer
from zoo.backbone.retention import (
    MultiScaleRetention,
    chunkwise_retention,
    decay_matrix,
    head_decays,
    parallel_retention,
    recurrent_retention,
    rotate,
)
from zoo.errors import ZooError

B, H, N, DK, DV = 2, 3, 11, 4, 5


def qkv(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(B, H, N, d, generator=g, dtype=torch.float64) for d in (DK, DK, DV))


def reference(q, k, v, gammas):
    """y_n = sum_{m <= n} gamma^(n - m) (q_n . k_m) v_m, one term at a time (the paper's eq. 5)."""
    y = torch.zeros_like(v)
    for h, gamma in enumerate(gammas):
        for n in range(q.shape[2]):
            for m in range(n + 1):
                y[:, h, n] += gamma ** (n - m) * (q[:, h, n] * k[:, h, m]).sum(-1, keepdim=True) * v[:, h, m]
    return y


def test_the_decays_are_the_papers_and_the_matrix_is_causal():
    gammas = head_decays(H).double().exp()
    torch.testing.assert_close(gammas, torch.tensor([1 - 1 / 32, 1 - 1 / 64, 1 - 1 / 128], dtype=torch.float64))
    d = decay_matrix(4, head_decays(H))
    assert torch.equal(d[0].triu(1), torch.zeros(4, 4)) and torch.allclose(d[0, 3, 1], gammas[0].float() ** 2)


def test_parallel_retention_is_the_papers_sum():
    q, k, v = qkv()
    log_decay = head_decays(H).double()
    torch.testing.assert_close(parallel_retention(q, k, v, log_decay), reference(q, k, v, log_decay.exp().tolist()))


@pytest.mark.parametrize("chunk_size", [1, 3, 4, N, 32])
def test_chunkwise_retention_equals_parallel_and_ends_in_the_recurrent_state(chunk_size):
    q, k, v = qkv()
    log_decay = head_decays(H).double()
    out, state = chunkwise_retention(q, k, v, log_decay, chunk_size, q.new_zeros(B, H, DK, DV))
    torch.testing.assert_close(out, parallel_retention(q, k, v, log_decay))
    recurrent = q.new_zeros(B, H, DK, DV)
    for n in range(N):
        y, recurrent = recurrent_retention(
            q[:, :, n : n + 1], k[:, :, n : n + 1], v[:, :, n : n + 1], log_decay, recurrent
        )
        torch.testing.assert_close(y, out[:, :, n : n + 1])
    torch.testing.assert_close(state, recurrent)


def test_rotation_makes_scores_depend_on_the_distance_alone():
    q, k, _ = qkv()
    near = rotate(q, 0) @ rotate(k, 0).transpose(-2, -1)
    far = rotate(q, 50) @ rotate(k, 50).transpose(-2, -1)
    torch.testing.assert_close(near, far)
    assert not torch.allclose(near, q @ k.transpose(-2, -1))


def mixer(chunk_size: int = 256) -> MultiScaleRetention:
    torch.manual_seed(0)
    return MultiScaleRetention(12, num_heads=3, chunk_size=chunk_size).double().eval()


@torch.no_grad()
def test_the_module_gives_one_output_in_every_form():
    x = torch.randn(B, 20, 12, dtype=torch.float64)
    parallel = mixer()(x)
    torch.testing.assert_close(mixer(chunk_size=6)(x), parallel)  # chunkwise: 20 > 6
    module = mixer()
    state = module.make_cache(B, 20)
    steps = [module(x[:, :7], kv_cache=state)]  # a prompt at once, then one token at a time
    steps += [module(x[:, n : n + 1], kv_cache=state) for n in range(7, 20)]
    torch.testing.assert_close(torch.cat(steps, dim=1), parallel)
    assert state.length == 20 and state.state.shape == (B, 3, 4, 4)  # the same size after any length


@torch.no_grad()
def test_the_weights_are_causal_rows_that_sum_to_one():
    x = torch.randn(B, 9, 12, dtype=torch.float64)
    out, weights = mixer()(x, need_weights=True)
    torch.testing.assert_close(out, mixer()(x))
    assert weights.shape == (B, 3, 9, 9) and torch.equal(weights.triu(1), torch.zeros_like(weights))
    torch.testing.assert_close(weights.sum(-1), torch.ones(B, 3, 9, dtype=torch.float64))


def test_a_retention_backbone_trains_every_parameter():
    torch.manual_seed(0)
    backbone = Transformer(12, depth=2, num_heads=3, mixer="retention")
    backbone(torch.randn(B, 9, 12), causal=True).square().mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in backbone.parameters())
    assert {type(block.attn) for block in backbone.blocks} == {MultiScaleRetention}


def test_a_wrong_mixer_or_a_cross_attention_call_is_one_clear_error():
    with pytest.raises(ZooError, match="mixer must be 'attention' or 'retention'"):
        Transformer(12, depth=1, num_heads=3, mixer="linear")
    backbone = Transformer(12, depth=1, num_heads=3, mixer="retention")
    with pytest.raises(ZooError, match="no cross-attention form"):
        backbone(torch.randn(B, 9, 12), num_outputs=1)
