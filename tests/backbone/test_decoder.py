"""The decoder block and stack against torch's nn.TransformerDecoderLayer / TransformerDecoder,
in both norm placements, and step-by-step decoding through both caches."""

import pytest
import torch
from torch import nn

from zoo.backbone import DecoderBlock, EncoderBlock, TransformerDecoder

B, N, M, D, H = 2, 5, 7, 32, 4


def torch_twin(ours: DecoderBlock, activation: str) -> nn.TransformerDecoderLayer:
    """``nn.TransformerDecoderLayer`` holding ``ours``'s weights."""
    ref = nn.TransformerDecoderLayer(D, H, dim_feedforward=2 * D, dropout=0.0, activation=activation,
                                     batch_first=True, norm_first=ours.norm_first).eval()  # fmt: skip
    with torch.no_grad():
        for theirs, mine in ((ref.self_attn, ours.attn), (ref.multihead_attn, ours.cross_attn)):
            theirs.in_proj_weight.copy_(mine.qkv.weight)  # rows q, k, v: the fused layout
            theirs.in_proj_bias.copy_(mine.qkv.bias)
            theirs.out_proj.load_state_dict(mine.proj.state_dict())
        ref.linear1.load_state_dict(ours.mlp.fc1.state_dict())
        ref.linear2.load_state_dict(ours.mlp.fc2.state_dict())
        for theirs, mine in ((ref.norm1, ours.norm1), (ref.norm2, ours.cross_norm), (ref.norm3, ours.norm2)):
            theirs.load_state_dict(mine.state_dict())
    return ref


@pytest.mark.parametrize(("norm_first", "act", "activation"), [(False, nn.ReLU, "relu"), (True, nn.GELU, "gelu")])
def test_matches_torch_decoder_layer_with_causal_and_padding_masks(norm_first, act, activation):
    torch.manual_seed(0)
    ours = DecoderBlock(D, H, mlp_ratio=2.0, norm_first=norm_first, act_layer=act).eval()
    ref = torch_twin(ours, activation)
    x, memory = torch.randn(B, N, D), torch.randn(B, M, D)
    pad, memory_pad = torch.zeros(B, N, dtype=torch.bool), torch.zeros(B, M, dtype=torch.bool)
    pad[1, 3:], memory_pad[0, 4:] = True, True
    expected = ref(x, memory, tgt_mask=torch.ones(N, N, dtype=torch.bool).triu(1), tgt_is_causal=True,
                   tgt_key_padding_mask=pad, memory_key_padding_mask=memory_pad)  # fmt: skip
    torch.testing.assert_close(ours(x, memory, pad, memory_pad), expected, atol=1e-5, rtol=1e-5)


def test_a_target_sees_no_later_target_and_no_padded_source():
    torch.manual_seed(0)
    block = DecoderBlock(D, H).eval()
    x, memory = torch.randn(1, N, D), torch.randn(1, M, D)
    changed, memory_changed = x.clone(), memory.clone()
    changed[:, -1] += 1.0  # a later target
    memory_changed[:, -2:] += 1.0  # source tokens marked as padding
    memory_pad = torch.zeros(1, M, dtype=torch.bool)
    memory_pad[:, -2:] = True
    out = block(x, memory, memory_padding_mask=memory_pad)
    torch.testing.assert_close(block(changed, memory, memory_padding_mask=memory_pad)[:, :-1], out[:, :-1])
    torch.testing.assert_close(block(x, memory_changed, memory_padding_mask=memory_pad), out)


def test_an_encoder_blocks_weights_load_into_its_self_attention_and_mlp():
    encoder, decoder = EncoderBlock(D, H), DecoderBlock(D, H)
    missing, unexpected = decoder.load_state_dict(encoder.state_dict(), strict=False)
    assert unexpected == [] and {k.split(".")[0] for k in missing} == {"cross_norm", "cross_attn"}
    torch.testing.assert_close(decoder.attn.qkv.weight, encoder.attn.qkv.weight)


@pytest.mark.parametrize("norm_first", [False, True])
def test_the_stack_matches_torch_transformer_decoder(norm_first):
    torch.manual_seed(0)
    ours = TransformerDecoder(D, depth=2, num_heads=H, mlp_ratio=2.0, norm_first=norm_first, act_layer=nn.ReLU).eval()
    layers = [torch_twin(block, "relu") for block in ours.blocks]
    norm = None
    if norm_first:
        norm = nn.LayerNorm(D)
        norm.load_state_dict(ours.norm.state_dict())
    x, memory = torch.randn(B, N, D), torch.randn(B, M, D)
    memory_pad = torch.zeros(B, M, dtype=torch.bool)
    memory_pad[1, 5:] = True
    h = x
    for layer in layers:
        h = layer(h, memory, tgt_mask=torch.ones(N, N, dtype=torch.bool).triu(1), tgt_is_causal=True,
                  memory_key_padding_mask=memory_pad)  # fmt: skip
    expected = norm(h) if norm is not None else h
    torch.testing.assert_close(ours(x, memory, memory_padding_mask=memory_pad), expected, atol=1e-5, rtol=1e-5)


def test_decoding_step_by_step_with_both_caches_gives_the_full_passs_outputs():
    torch.manual_seed(0)
    decoder = TransformerDecoder(D, depth=2, num_heads=H).eval()
    x, memory = torch.randn(B, N, D), torch.randn(B, M, D)
    memory_pad = torch.zeros(B, M, dtype=torch.bool)
    memory_pad[0, 3:] = True
    full = decoder(x, memory, memory_padding_mask=memory_pad)
    caches, memory_kvs = decoder.make_kv_caches(B, N), decoder.project_memory(memory)  # the source projected once
    steps = [decoder(x[:, i : i + 1], memory, None, memory_pad, caches, memory_kvs) for i in range(N)]
    torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=1e-5, rtol=1e-5)


def test_cross_attention_weights_come_with_the_same_output():
    torch.manual_seed(0)
    stack = TransformerDecoder(D, 2, H, mlp_ratio=2.0).eval()
    x, memory = torch.randn(B, N, D), torch.randn(B, M, D)
    memory_pad = torch.zeros(B, M, dtype=torch.bool)
    memory_pad[1, 5:] = True
    out, weights = stack(x, memory, memory_padding_mask=memory_pad, need_weights=True)
    torch.testing.assert_close(out, stack(x, memory, memory_padding_mask=memory_pad))
    assert len(weights) == 2 and weights[0].shape == (B, H, N, M)
    torch.testing.assert_close(weights[-1].sum(-1), torch.ones(B, H, N))
    assert (weights[-1][1, :, :, 5:] == 0).all()
