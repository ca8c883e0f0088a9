"""The encoder-decoder model: nn.Transformer's numbers where the layouts agree, shared and tied
embeddings, and cached decoding equal to teacher forcing."""

import pytest
import torch
from torch import nn

from zoo.backbone import Transformer, TransformerDecoder
from zoo.errors import ZooError
from zoo.frontends.text import TokenEmbed
from zoo.heads.lm import LMHead
from zoo.models.encoder_decoder import EncoderDecoderModel

V, D, H, S, T = 50, 32, 4, 7, 5


def model(norm_first=True, share=True, source_vocab=V) -> EncoderDecoderModel:
    return EncoderDecoderModel(
        TokenEmbed(source_vocab, D, max_len=16), Transformer(D, 2, H, mlp_ratio=2.0, norm_first=norm_first),
        TokenEmbed(V, D, max_len=16), TransformerDecoder(D, 2, H, mlp_ratio=2.0, norm_first=norm_first),
        LMHead(D, V, bias=False), share_embeddings=share,
    ).eval()  # fmt: skip


def copy_attention(theirs: nn.MultiheadAttention, mine) -> None:
    theirs.in_proj_weight.copy_(mine.qkv.weight)
    theirs.in_proj_bias.copy_(mine.qkv.bias)
    theirs.out_proj.load_state_dict(mine.proj.state_dict())


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")  # torch: no nested tensors with pre-norm
def test_pre_norm_matches_nn_transformer_with_copied_weights():
    """nn.Transformer always ends both stacks in a LayerNorm: our pre-norm layout."""
    torch.manual_seed(0)
    ours = model()
    ref = nn.Transformer(D, H, 2, 2, dim_feedforward=2 * D, dropout=0.0, activation="gelu", batch_first=True,
                         norm_first=True).eval()  # fmt: skip
    with torch.no_grad():
        for layer, block in zip(ref.encoder.layers, ours.encoder.blocks):
            copy_attention(layer.self_attn, block.attn)
            for theirs, mine in ((layer.linear1, block.mlp.fc1), (layer.linear2, block.mlp.fc2),
                                 (layer.norm1, block.norm1), (layer.norm2, block.norm2)):  # fmt: skip
                theirs.load_state_dict(mine.state_dict())
        for layer, block in zip(ref.decoder.layers, ours.decoder.blocks):
            copy_attention(layer.self_attn, block.attn)
            copy_attention(layer.multihead_attn, block.cross_attn)
            for theirs, mine in ((layer.linear1, block.mlp.fc1), (layer.linear2, block.mlp.fc2),
                                 (layer.norm1, block.norm1), (layer.norm2, block.cross_norm),
                                 (layer.norm3, block.norm2)):  # fmt: skip
                theirs.load_state_dict(mine.state_dict())
        ref.encoder.norm.load_state_dict(ours.encoder.norm.state_dict())
        ref.decoder.norm.load_state_dict(ours.decoder.norm.state_dict())
    source, target = torch.randint(1, V, (2, S)), torch.randint(1, V, (2, T))
    source[1, 5:] = 0  # padding (pad id 0)
    memory, memory_padding = ours.encode(source)
    expected = ref(ours.source_frontend(source), ours.target_frontend(target),
                   tgt_mask=torch.ones(T, T, dtype=torch.bool).triu(1), tgt_is_causal=True,
                   src_key_padding_mask=memory_padding, memory_key_padding_mask=memory_padding)  # fmt: skip
    torch.testing.assert_close(ours.decode(target, memory, memory_padding), expected, atol=1e-5, rtol=1e-5)


def test_one_embedding_serves_source_target_and_generator():
    shared = model(share=True)
    weights = {shared.source_frontend.embedding.weight.data_ptr(), shared.target_frontend.embedding.weight.data_ptr(),
               shared.generator.decoder.weight.data_ptr()}  # fmt: skip
    assert len(weights) == 1
    apart = model(share=False)  # the generator is still tied to the target embedding
    assert apart.source_frontend.embedding.weight.data_ptr() != apart.target_frontend.embedding.weight.data_ptr()
    assert apart.generator.decoder.weight.data_ptr() == apart.target_frontend.embedding.weight.data_ptr()
    with pytest.raises(ZooError, match=r"share_embeddings needs one vocabulary: the source embeds \(60, 32\)"):
        model(share=True, source_vocab=60)


@pytest.mark.parametrize("norm_first", [True, False])
def test_cached_decoding_gives_teacher_forcings_logits(norm_first):
    torch.manual_seed(0)
    m = model(norm_first=norm_first)
    source, target = torch.randint(1, V, (2, S)), torch.randint(1, V, (2, T))
    source[0, 4:] = 0
    forced = m(source, target)  # (B, T, V)
    memory, padding = m.encode(source)
    caches, memory_kvs = m.decoder.make_kv_caches(2, T), m.decoder.project_memory(memory)
    steps = [m.generator(m.decode(target[:, i : i + 1], memory, padding, caches, memory_kvs, offset=i)) for i in range(T)]
    assert forced.shape == (2, T, V)
    torch.testing.assert_close(torch.cat(steps, dim=1), forced, atol=1e-5, rtol=1e-5)


def sources() -> torch.Tensor:
    """Two sources of different lengths, the shorter padded (pad id 0)."""
    torch.manual_seed(1)
    source = torch.randint(3, V, (2, S))
    source[1, 4:] = 0
    return source


@pytest.mark.parametrize("strategy", ["greedy", "beam"])
def test_cached_and_uncached_translation_choose_the_same_tokens(strategy):
    from zoo.generation import translate

    torch.manual_seed(0)
    m = model()
    cached = translate(m, sources(), bos_id=1, eos_id=2, strategy=strategy, num_beams=3)
    uncached = translate(m, sources(), bos_id=1, eos_id=2, strategy=strategy, num_beams=3, use_cache=False)
    assert torch.equal(cached, uncached) and (cached[:, 0] == 1).all()
    assert cached.shape[1] <= 1 + int(1.5 * S + 10)  # the limit follows the longest source


def test_the_encoder_and_the_sources_keys_and_values_are_computed_once(monkeypatch):
    from zoo.backbone.attention import MultiHeadAttention
    from zoo.generation import translate

    m, calls = model(), {"encoder": 0, "project_context": 0}
    m.encoder.register_forward_hook(lambda *_: calls.__setitem__("encoder", calls["encoder"] + 1))
    project = MultiHeadAttention.project_context

    def counted(self, context):
        calls["project_context"] += 1
        return project(self, context)

    monkeypatch.setattr(MultiHeadAttention, "project_context", counted)
    out = translate(m, sources(), bos_id=1, eos_id=2, num_beams=2, max_len_a=0, max_len_b=6)
    assert out.shape[1] > 2  # several steps were decoded
    assert calls == {"encoder": 1, "project_context": len(m.decoder.blocks)}


@torch.no_grad()
def test_beams_share_their_sources_memory_and_any_other_order_still_decodes_right():
    """Beam search's reorders keep each source's rows together: the memory side stays one row
    a source. An order that mixes sources copies it a row a hypothesis; both decode as a
    from-scratch pass on the sources the rows now read."""
    torch.manual_seed(0)
    m, source = model(), sources()
    target = torch.randint(3, V, (2 * 3, 4))
    conditioned = m.condition(source)
    state = conditioned.init_state(2, 8)
    conditioned.decode_step(target[::3, :1], state)  # one row a source: the prompt
    in_blocks = torch.tensor([0, 0, 0, 1, 1, 1])
    conditioned.reorder_state(state, in_blocks)
    assert state.rows_per_source == 3 and state.memory_kvs[0][0].shape[0] == 2
    conditioned.decode_step(target[:, 1:2], state)
    mixed = torch.tensor([3, 0, 1, 5, 2, 4])  # rows of sources 1, 0, 0, 1, 0, 1
    conditioned.reorder_state(state, mixed)
    assert state.rows_per_source == 1 and state.memory_kvs[0][0].shape[0] == 6
    logits = conditioned.decode_step(target[mixed, 2:4], state)
    history = torch.cat([target[::3, :1].repeat_interleave(3, 0)[mixed], target[mixed, 1:4]], dim=1)
    expected = m(source[mixed // 3], history)[:, 2:]
    torch.testing.assert_close(logits, expected, atol=1e-5, rtol=1e-5)


def test_a_padded_source_translates_as_it_does_alone():
    from zoo.generation import translate

    torch.manual_seed(0)
    m, source = model(), sources()
    both = translate(m, source, bos_id=1, eos_id=2, strategy="greedy", max_len_a=0, max_len_b=6)
    alone = translate(m, source[1:, :4], bos_id=1, eos_id=2, strategy="greedy", max_len_a=0, max_len_b=6)
    assert torch.equal(both[1, : alone.shape[1]], alone[0])


def test_the_alignment_is_the_last_blocks_head_averaged_cross_attention():
    from zoo.contracts import Seq2SeqModel

    torch.manual_seed(0)
    m, source = model(), sources()
    target = torch.randint(3, V, (2, 5))
    target[:, 0] = 1
    weights = m.alignment(source, target)
    assert isinstance(m, Seq2SeqModel) and weights.shape == (2, 5, S)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 5))
    assert (weights[1, :, 4:] == 0).all()  # no weight on the padded source
    assert m.source_lengths(source).tolist() == [S, 4]
