"""The encoder block's two norm placements, the stack, masks and attention maps."""

import pytest
import torch
from torch import nn

from zoo.backbone import EncoderBlock, Transformer

B, N, D, H = 2, 6, 32, 4


def test_pre_norm_block_is_two_residual_lines():
    torch.manual_seed(0)
    block = EncoderBlock(D, H, norm_first=True).eval()
    x = torch.randn(B, N, D)
    h = x + block.attn(block.norm1(x))
    torch.testing.assert_close(block(x), h + block.mlp(block.norm2(h)))


def test_post_norm_block_follows_the_2017_paper():
    torch.manual_seed(0)
    block = EncoderBlock(D, H, norm_first=False).eval()
    x = torch.randn(B, N, D)
    h = block.norm1(x + block.attn(x))
    torch.testing.assert_close(block(x), block.norm2(h + block.mlp(h)))


def test_post_norm_matches_torch_encoder_layer():
    torch.manual_seed(0)
    ours = EncoderBlock(D, H, mlp_ratio=2.0, norm_first=False, act_layer=nn.ReLU).eval()
    ref = nn.TransformerEncoderLayer(D, H, dim_feedforward=2 * D, dropout=0.0, batch_first=True).eval()
    with torch.no_grad():
        ref.self_attn.in_proj_weight.copy_(ours.attn.qkv.weight)
        ref.self_attn.in_proj_bias.copy_(ours.attn.qkv.bias)
        ref.self_attn.out_proj.load_state_dict(ours.attn.proj.state_dict())
        ref.linear1.load_state_dict(ours.mlp.fc1.state_dict())
        ref.linear2.load_state_dict(ours.mlp.fc2.state_dict())
        ref.norm1.load_state_dict(ours.norm1.state_dict())
        ref.norm2.load_state_dict(ours.norm2.state_dict())
    x = torch.randn(B, N, D)
    mask = torch.zeros(B, N, dtype=torch.bool)
    mask[1, 4:] = True
    torch.testing.assert_close(ours(x, mask), ref(x, src_key_padding_mask=mask), atol=1e-5, rtol=1e-5)


def test_pre_and_post_norm_share_parameter_names():
    pre, post = Transformer(D, 2, H, norm_first=True), Transformer(D, 2, H, norm_first=False)
    block_keys = lambda m: {k for k in m.state_dict() if k.startswith("blocks.")}
    assert block_keys(pre) == block_keys(post)
    assert isinstance(post.norm, nn.Identity) and isinstance(pre.norm, nn.LayerNorm)


def test_padding_does_not_change_real_tokens():
    torch.manual_seed(0)
    model = Transformer(D, 2, H).eval()
    x = torch.randn(1, 4, D)
    padded = torch.cat([x, torch.randn(1, 3, D)], dim=1)  # 3 junk tokens
    mask = torch.tensor([[False] * 4 + [True] * 3])
    torch.testing.assert_close(model(padded, key_padding_mask=mask)[:, :4], model(x), atol=1e-5, rtol=1e-5)


def test_stochastic_depth_rises_linearly_and_is_off_in_eval():
    model = Transformer(D, 5, H, drop_path=0.2)
    assert [round(b.drop_path.p, 3) for b in model.blocks] == [0.0, 0.05, 0.1, 0.15, 0.2]
    model.eval()
    x = torch.randn(B, N, D)
    torch.testing.assert_close(model(x), model(x))


def test_attention_maps_are_row_stochastic_per_block():
    model = Transformer(D, 3, H).eval()
    _, _, maps = model.forward_intermediates(torch.randn(B, N, D), return_attention=True)
    assert len(maps) == 3 and maps[0].shape == (B, H, N, N)
    torch.testing.assert_close(maps[2].sum(-1), torch.ones(B, H, N))


def test_kv_caches_reproduce_causal_stack():
    torch.manual_seed(0)
    model = Transformer(D, 2, H).eval()
    x = torch.randn(B, N, D)
    caches = model.make_kv_caches(B, N)
    steps = [model(x[:, i : i + 1], causal=True, kv_caches=caches) for i in range(N)]
    torch.testing.assert_close(torch.cat(steps, dim=1), model(x, causal=True), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("norm_first", [True, False])
def test_num_outputs_equals_the_sliced_full_output_and_its_gradients(norm_first):
    torch.manual_seed(0)
    model = Transformer(D, 3, H, norm_first=norm_first, drop_path=0.1).eval()
    x = torch.randn(B, N, D, requires_grad=True)
    mask = torch.tensor([[False] * N, [False] * 4 + [True] * (N - 4)])
    full = model(x, key_padding_mask=mask)[:, :2]
    (grad_full,) = torch.autograd.grad(full.square().sum(), x)
    prefix = model(x, key_padding_mask=mask, num_outputs=2)
    (grad_prefix,) = torch.autograd.grad(prefix.square().sum(), x)
    assert prefix.shape == (B, 2, D)
    torch.testing.assert_close(prefix, full, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(grad_prefix, grad_full, atol=1e-5, rtol=1e-5)


def test_num_outputs_runs_the_last_blocks_mlp_on_those_tokens_only():
    model = Transformer(D, 2, H)
    shapes = []
    model.blocks[-1].mlp.register_forward_hook(lambda module, args, out: shapes.append(tuple(out.shape)))
    model(torch.randn(B, N, D), num_outputs=1)
    assert shapes == [(B, 1, D)]


def test_num_outputs_refuses_causal_stacks():
    with pytest.raises(ValueError, match="causal models need every output"):
        Transformer(D, 2, H)(torch.randn(B, N, D), causal=True, num_outputs=1)


def _two_pass_maps(model: Transformer, x, mask=None, causal=False) -> list[torch.Tensor]:
    """The maps as they were computed before forward_intermediates: each block's attention run
    a second time beside its forward."""
    maps = []
    for block in model.blocks:
        h = block.norm1(x) if block.norm_first else x
        maps.append(block.attn(h, key_padding_mask=mask, causal=causal, need_weights=True)[1])
        x = block(x, mask, causal)
    return maps


def _captured_block_outputs(model: Transformer, x, **kwargs) -> list[torch.Tensor]:
    outputs = []
    hooks = [b.register_forward_hook(lambda m, args, out: outputs.append(out)) for b in model.blocks]
    model(x, **kwargs)
    for hook in hooks:
        hook.remove()
    return outputs


@pytest.mark.parametrize("norm_first", [True, False])
def test_intermediates_are_the_block_outputs_of_a_plain_forward(norm_first):
    torch.manual_seed(0)
    model = Transformer(D, 4, H, norm_first=norm_first).eval()
    x = torch.randn(B, N, D)
    mask = torch.tensor([[False] * N, [False] * 4 + [True] * (N - 4)])
    expected = _captured_block_outputs(model, x, key_padding_mask=mask)
    final, hidden = model.forward_intermediates(x, key_padding_mask=mask)
    assert len(hidden) == 4 and hidden[0].shape == (B, N, D)
    for got, want in zip(hidden, expected, strict=True):
        assert torch.equal(got, want)  # the very same computation
    assert torch.equal(final, model(x, key_padding_mask=mask))
    final, hidden, _ = model.forward_intermediates(x, key_padding_mask=mask, return_attention=True)
    for got, want in zip(hidden, expected, strict=True):  # weights by explicit softmax, not SDPA
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(final, model(x, key_padding_mask=mask), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(("mask", "causal"), [(None, False), ("padded", False), (None, True)])
def test_attention_weights_equal_the_two_pass_maps_and_sum_to_one(mask, causal):
    torch.manual_seed(0)
    model = Transformer(D, 3, H).eval()
    x = torch.randn(B, N, D)
    mask = torch.tensor([[False] * N, [False] * 4 + [True] * (N - 4)]) if mask else None
    _, _, maps = model.forward_intermediates(x, return_attention=True, key_padding_mask=mask, causal=causal)
    assert len(maps) == 3 and maps[0].shape == (B, H, N, N)
    for got, want in zip(maps, _two_pass_maps(model, x, mask, causal), strict=True):
        torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(got.sum(-1), torch.ones(B, H, N))
    if mask is not None:
        assert maps[0][1, :, :, 4:].abs().max() == 0  # no query attends to padding
    if causal:
        assert maps[0].triu(diagonal=1).abs().max() == 0  # nor to a later position


def test_intermediates_take_one_pass_through_each_block():
    model = Transformer(D, 3, H).eval()
    blocks, attentions = [], []
    for block in model.blocks:
        block.register_forward_hook(lambda module, args, out: blocks.append(module))
        block.attn.register_forward_hook(lambda module, args, out: attentions.append(module))
    model.forward_intermediates(torch.randn(B, N, D), return_attention=True)
    assert blocks == list(model.blocks)  # each block once, in order
    assert attentions == [block.attn for block in model.blocks]  # its weights from that same call


def test_indices_take_the_last_n_or_the_named_blocks_in_block_order():
    torch.manual_seed(0)
    model = Transformer(D, 4, H).eval()
    x = torch.randn(B, N, D)
    _, every = model.forward_intermediates(x)
    _, last_two, maps = model.forward_intermediates(x, indices=2, return_attention=True)
    assert len(last_two) == len(maps) == 2
    torch.testing.assert_close(last_two, every[2:], atol=1e-5, rtol=1e-5)
    _, named = model.forward_intermediates(x, indices=[-1, 0])
    assert torch.equal(named[0], every[0]) and torch.equal(named[1], every[3])


@pytest.mark.parametrize(("indices", "message"), [(0, "between 1 and the depth 4"), ([4], r"block indices \[4\]")])
def test_indices_outside_the_stack_are_one_line(indices, message):
    with pytest.raises(ValueError, match=message):
        Transformer(D, 4, H).forward_intermediates(torch.randn(B, N, D), indices=indices)
