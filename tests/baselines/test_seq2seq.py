"""The LSTM-attention twin: its three scores by their formulas, packing that ignores padding,
step-by-step decoding equal to teacher forcing, and the Transformer's decoding surface."""

import pytest
import torch
import torch.nn.functional as F

from zoo.baselines.seq2seq import Attention, RNNEncoderDecoder
from zoo.contracts import AutoregressiveModel, Seq2SeqModel
from zoo.errors import ZooError
from zoo.generation import translate

PAD, BOS, EOS, V = 0, 1, 2, 40
SCORES = ("additive", "dot", "general")


def model(attention="general", num_layers=2, **kwargs) -> RNNEncoderDecoder:
    torch.manual_seed(0)
    return RNNEncoderDecoder(V, embed_dim=16, hidden_size=16, num_layers=num_layers, attention=attention,
                             **kwargs).eval()  # fmt: skip


def batch() -> tuple[torch.Tensor, torch.Tensor]:
    """Three sources of 7, 4 and 2 real ids, right-padded; targets starting with BOS."""
    g = torch.Generator().manual_seed(1)
    source = torch.randint(3, V, (3, 7), generator=g)
    source[1, 4:], source[2, 2:] = PAD, PAD
    target = torch.randint(3, V, (3, 5), generator=g)
    target[:, 0] = BOS
    return source, target


@pytest.mark.parametrize("score", SCORES)
def test_attention_scores_follow_their_formulas(score):
    torch.manual_seed(0)
    attention = Attention(score, 8)
    query, memory = torch.randn(2, 8), torch.randn(2, 5, 8)
    padding = torch.tensor([[False] * 5, [False, False, False, True, True]])
    context, weights = attention(query, attention.keys(memory), memory, padding)
    if score == "dot":
        scores = torch.einsum("bh,bsh->bs", query, memory)
    elif score == "general":
        scores = torch.einsum("bh,bsh->bs", query, memory @ attention.key_proj.weight.T)
    else:  # v . tanh(W_q q + W_k m_s)
        hidden = torch.tanh(attention.query_proj(query)[:, None] + memory @ attention.key_proj.weight.T)
        scores = (hidden @ attention.v.weight.T).squeeze(-1)
    expected = scores.masked_fill(padding, float("-inf")).softmax(-1)
    torch.testing.assert_close(weights, expected)
    torch.testing.assert_close(context, torch.einsum("bs,bsh->bh", expected, memory))
    assert (weights[1, 3:] == 0).all()


def test_padding_after_a_source_changes_nothing():
    m = model()
    source, target = batch()
    longer = F.pad(source, (0, 4), value=PAD)
    torch.testing.assert_close(m(longer, target), m(source, target))
    alone = m(source[2:, :2], target[2:])  # the short row with no padding at all
    torch.testing.assert_close(m(source, target)[2:], alone, atol=1e-6, rtol=1e-5)


def test_the_encoder_final_states_start_the_decoder_both_directions_concatenated():
    m = model(num_layers=2)
    source, _ = batch()
    state = m.encode(source[1:2, :4])
    _, (h, _) = m.encoder(m.source_embedding(source[1:2, :4]))  # (2 layers x 2 directions, 1, H/2)
    for layer in range(2):  # PyTorch orders them layer 0 forward, layer 0 backward, layer 1 forward, ...
        torch.testing.assert_close(state.hidden[0][layer], torch.cat([h[2 * layer], h[2 * layer + 1]], dim=-1))
    torch.testing.assert_close(state.memory[0, -1, :8], h[2, 0])  # the top forward direction ends at the last token
    torch.testing.assert_close(state.memory[0, 0, 8:], h[3, 0])  # the top backward one at the first


@pytest.mark.parametrize("score", SCORES)
def test_decoding_a_token_a_step_equals_teacher_forcing(score):
    m = model(score)
    source, target = batch()
    conditioned = m.condition(source)
    assert isinstance(m, Seq2SeqModel) and isinstance(conditioned, AutoregressiveModel)
    state = conditioned.init_state(3, 8)
    steps = [conditioned.decode_step(target[:, t : t + 1], state) for t in range(target.shape[1])]
    torch.testing.assert_close(torch.cat(steps, dim=1), m(source, target), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("score", SCORES)
@pytest.mark.parametrize("strategy", ["greedy", "beam"])
def test_cached_and_uncached_translation_agree(score, strategy):
    m = model(score)
    source, _ = batch()
    kwargs = {"bos_id": BOS, "eos_id": EOS, "strategy": strategy, "num_beams": 3}
    cached = translate(m, source, use_cache=True, **kwargs)
    assert cached.shape[0] == 3 and (cached[:, 0] == BOS).all()
    assert cached.shape[1] <= 1 + int(1.5 * 7 + 10)  # max_len_a * S + max_len_b
    torch.testing.assert_close(translate(m, source, use_cache=False, **kwargs), cached)


def test_beam_search_reorders_the_whole_state():
    m = model()
    source, target = batch()
    conditioned = m.condition(source)
    state = conditioned.init_state(3, 8)
    conditioned.decode_step(target[:, :2], state)
    index = torch.tensor([2, 2, 0])
    conditioned.reorder_state(state, index)
    reordered = conditioned.decode_step(target[index, 2:3], state)
    fresh = m(source[index], target[index, :3])[:, -1:]
    torch.testing.assert_close(reordered, fresh, atol=1e-6, rtol=1e-5)


def test_alignment_rows_are_distributions_over_the_real_source_tokens():
    m = model()
    source, target = batch()
    weights = m.alignment(source, target)
    assert weights.shape == (3, 5, 7)
    torch.testing.assert_close(weights.sum(-1), torch.ones(3, 5))
    assert (weights[1, :, 4:] == 0).all() and (weights[2, :, 2:] == 0).all()


def test_shared_and_tied_embeddings_are_one_tensor():
    m = model()
    assert m.source_embedding is m.target_embedding and m.generator.weight is m.target_embedding.weight
    separate = model(share_embeddings=False, tie_weights=False, source_vocab_size=30)
    assert (
        separate.source_embedding.num_embeddings == 30
        and separate.generator.weight is not separate.target_embedding.weight
    )
    assert len(separate.layer_groups()) == len(m.layer_groups()) + 1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"attention": "luong"}, "attention score must be one of additive, dot, general"),
        ({"hidden_size": 15}, "hidden_size must be even"),
        ({"embed_dim": 8}, "tie_weights needs embed_dim == hidden_size"),
        ({"source_vocab_size": 30}, "share_embeddings needs one vocabulary"),
    ],
)
def test_bad_settings_are_one_line(kwargs, message):
    settings = {"embed_dim": 16, "hidden_size": 16} | kwargs
    with pytest.raises(ZooError, match=message):
        RNNEncoderDecoder(V, **settings)


def test_ids_outside_the_vocabulary_are_one_line():
    source, target = batch()
    with pytest.raises(ZooError, match="outside the model's vocab_size"):
        model()(source + V, target)
