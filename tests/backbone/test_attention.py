"""MultiHeadAttention against torch.nn.MultiheadAttention with copied weights."""

import pytest
import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile

from zoo.backbone import KVCache, MultiHeadAttention, attention
from zoo.backbone.attention import prefers_math_kernel
from zoo.errors import ZooError

B, N, D, H = 3, 7, 32, 4


def _pair(qkv_bias: bool = True) -> tuple[MultiHeadAttention, nn.MultiheadAttention]:
    torch.manual_seed(0)
    ours = MultiHeadAttention(D, H, qkv_bias=qkv_bias).eval()
    ref = nn.MultiheadAttention(D, H, bias=qkv_bias, batch_first=True).eval()
    with torch.no_grad():
        ref.in_proj_weight.copy_(ours.qkv.weight)
        ref.out_proj.weight.copy_(ours.proj.weight)
        if qkv_bias:
            ref.in_proj_bias.copy_(ours.qkv.bias)
            ref.out_proj.bias.copy_(ours.proj.bias)
        else:  # torch's bias=False also drops the output bias
            ours.proj.bias.zero_()
    return ours, ref


def _padding_mask() -> torch.Tensor:
    mask = torch.zeros(B, N, dtype=torch.bool)
    mask[0, 5:] = True  # sample 0 has 5 real tokens, sample 2 has 3
    mask[2, 3:] = True
    return mask


@pytest.mark.parametrize("qkv_bias", [True, False])
def test_self_attention_matches_torch(qkv_bias):
    ours, ref = _pair(qkv_bias)
    x = torch.randn(B, N, D)
    expected, _ = ref(x, x, x, need_weights=False)
    torch.testing.assert_close(ours(x), expected, atol=1e-5, rtol=1e-5)


def test_key_padding_mask_matches_torch():
    ours, ref = _pair()
    x, mask = torch.randn(B, N, D), _padding_mask()
    expected, _ = ref(x, x, x, key_padding_mask=mask, need_weights=False)
    torch.testing.assert_close(ours(x, key_padding_mask=mask), expected, atol=1e-5, rtol=1e-5)


def test_causal_mask_matches_torch():
    ours, ref = _pair()
    x = torch.randn(B, N, D)
    causal = nn.Transformer.generate_square_subsequent_mask(N)
    expected, _ = ref(x, x, x, attn_mask=causal, need_weights=False)
    torch.testing.assert_close(ours(x, causal=True), expected, atol=1e-5, rtol=1e-5)


def test_causal_and_padding_together_match_torch():
    ours, ref = _pair()
    x, mask = torch.randn(B, N, D), _padding_mask()
    causal = torch.ones(N, N, dtype=torch.bool).triu(diagonal=1)  # True = may not attend
    expected, _ = ref(x, x, x, key_padding_mask=mask, attn_mask=causal, need_weights=False)
    torch.testing.assert_close(ours(x, key_padding_mask=mask, causal=True), expected, atol=1e-5, rtol=1e-5)


def test_cross_attention_matches_torch():
    ours, ref = _pair()
    x, context = torch.randn(B, N, D), torch.randn(B, 11, D)
    mask = torch.zeros(B, 11, dtype=torch.bool)
    mask[1, 4:] = True
    expected, _ = ref(x, context, context, key_padding_mask=mask, need_weights=False)
    got = ours(x, context=context, key_padding_mask=mask)
    assert got.shape == (B, N, D)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_attention_weights_match_torch():
    ours, ref = _pair()
    x, mask = torch.randn(B, N, D), _padding_mask()
    expected_out, expected_w = ref(x, x, x, key_padding_mask=mask, need_weights=True, average_attn_weights=False)
    out, weights = ours(x, key_padding_mask=mask, need_weights=True)
    assert weights.shape == (B, H, N, N)
    torch.testing.assert_close(out, expected_out, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(weights, expected_w, atol=1e-5, rtol=1e-5)
    assert weights[0, :, :, 5:].abs().max() == 0  # padded keys get no weight


def test_kv_cache_decoding_equals_full_causal_pass():
    ours, _ = _pair()
    x = torch.randn(B, N, D)
    full = ours(x, causal=True)
    cache = KVCache(B, H, D // H, max_len=N)
    prefix = ours(x[:, :3], causal=True, kv_cache=cache)  # a 3-token prompt, then one at a time
    steps = [ours(x[:, i : i + 1], causal=True, kv_cache=cache) for i in range(3, N)]
    torch.testing.assert_close(torch.cat([prefix, *steps], dim=1), full, atol=1e-5, rtol=1e-5)
    assert cache.length == N


@pytest.mark.parametrize("need_weights", [False, True])
def test_rows_sharing_a_context_attend_as_if_it_were_repeated(need_weights):
    """k beams a source: (B' * k, Nq, D) queries on the (B', Nk) context's keys and values."""
    ours, _ = _pair()
    k, x, context = 3, torch.randn(2 * 3, 2, D), torch.randn(2, 11, D)
    mask = torch.zeros(2, 11, dtype=torch.bool)
    mask[1, 6:] = True
    shared = ours(x, key_padding_mask=mask, context_kv=ours.project_context(context), need_weights=need_weights)
    repeated = ours(x, context.repeat_interleave(k, 0), mask.repeat_interleave(k, 0), need_weights=need_weights)
    for got, expected in zip(shared, repeated) if need_weights else [(shared, repeated)]:
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    with pytest.raises(ZooError, match="4 query rows cannot share 3 contexts"):
        ours(torch.randn(4, 1, D), context_kv=ours.project_context(torch.randn(3, 11, D)))


@torch.no_grad()  # as decoding runs
def test_kv_cache_reorders_into_its_spare_buffers_and_keeps_decoding():
    """Beam search reorders every step: to more rows once, then within the same rows."""
    ours, _ = _pair()
    x = torch.randn(B, N, D)
    cache = KVCache(B, H, D // H, max_len=N)
    ours(x[:, :3], causal=True, kv_cache=cache)
    first, second = torch.tensor([2, 2, 0, 1]), torch.tensor([3, 0, 0, 1])
    cache.reorder(first)
    ours(x[first, 3:4], causal=True, kv_cache=cache)
    cache.reorder(second)
    rows = first[second]
    steps = [ours(x[rows, i : i + 1], causal=True, kv_cache=cache) for i in range(4, N)]
    torch.testing.assert_close(torch.cat(steps, dim=1), ours(x[rows], causal=True)[:, 4:], atol=1e-5, rtol=1e-5)


def test_kv_cache_refuses_to_overflow():
    ours, _ = _pair()
    cache = KVCache(B, H, D // H, max_len=2)
    with pytest.raises(ValueError, match="KV cache holds 2 positions"):
        ours(torch.randn(B, 3, D), causal=True, kv_cache=cache)


def test_embed_dim_must_divide_into_heads():
    with pytest.raises(ValueError, match="not divisible by num_heads"):
        MultiHeadAttention(30, 4)


def test_math_kernel_only_for_short_bf16_training_on_cpu():
    def qk(n: int, dtype: torch.dtype, grad: bool) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.zeros(1, 1, n, 8, dtype=dtype, requires_grad=grad), torch.zeros(1, 1, n, 8, dtype=dtype)

    assert prefers_math_kernel(*qk(17, torch.bfloat16, grad=True))
    assert prefers_math_kernel(*qk(attention.MATH_KERNEL_MAX_KEYS, torch.bfloat16, grad=True))
    assert not prefers_math_kernel(*qk(attention.MATH_KERNEL_MAX_KEYS + 1, torch.bfloat16, grad=True))
    assert not prefers_math_kernel(*qk(17, torch.float32, grad=True))
    assert not prefers_math_kernel(*qk(17, torch.bfloat16, grad=False))


def _kernels_run(fn) -> set[str]:
    with profile(activities=[ProfilerActivity.CPU], acc_events=True) as prof:
        fn()
    return {event.key for event in prof.key_averages()}


@pytest.mark.parametrize("causal", [False, True])
def test_bf16_training_takes_the_math_kernel_and_gets_the_flash_kernels_result(causal, monkeypatch):
    ours, _ = _pair()
    x, mask = torch.randn(B, N, D), _padding_mask()

    def step() -> tuple[torch.Tensor, torch.Tensor]:
        ours.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = ours(x, key_padding_mask=None if causal else mask, causal=causal)
        out.float().square().sum().backward()
        return out.float(), ours.qkv.weight.grad.clone()

    flash = "aten::_scaled_dot_product_flash_attention_for_cpu"
    kernels = _kernels_run(step)
    assert flash not in kernels and "aten::_softmax" in kernels
    out, grad = step()
    monkeypatch.setattr(attention, "MATH_KERNEL_MAX_KEYS", 0)  # what SDPA picks by itself
    assert flash in _kernels_run(step)
    flash_out, flash_grad = step()
    torch.testing.assert_close(out, flash_out, atol=2e-2, rtol=2e-2)
    torch.testing.assert_close(grad, flash_grad, atol=5e-2, rtol=5e-2)
