"""CausalLM: position i sees ids 0..i only, and cached decoding equals the full forward."""

import pytest
import torch

from zoo.backbone import Transformer
from zoo.frontends.text import TokenEmbed
from zoo.heads.lm import LMHead
from zoo.models.language import CausalLM

V, D, CONTEXT = 60, 32, 24


@pytest.fixture(scope="module")
def model() -> CausalLM:
    torch.manual_seed(0)
    return CausalLM(TokenEmbed(V, D, CONTEXT, pad_id=None), Transformer(D, depth=2, num_heads=4), LMHead(D, V)).eval()


def random_ids(batch: int, n: int, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, V, (batch, n), generator=torch.Generator().manual_seed(seed))


def test_sizes(model):
    assert model.max_len == CONTEXT
    assert model.vocab_size == V
    assert model(random_ids(2, 10)).shape == (2, 10, V)


@torch.no_grad()
def test_changing_a_later_id_leaves_earlier_logits_alone(model):
    ids, k = random_ids(2, 12), 7
    changed = ids.clone()
    changed[:, k] = (ids[:, k] + 1) % V
    before, after = model(ids), model(changed)
    torch.testing.assert_close(after[:, :k], before[:, :k], atol=1e-6, rtol=0)
    assert not torch.allclose(after[:, k:], before[:, k:], atol=1e-4)


@torch.no_grad()
def test_decoding_in_chunks_through_the_cache_equals_the_full_forward(model):
    ids = random_ids(3, 16, seed=1)
    state = model.init_state(batch_size=3)
    chunks = [model.decode_step(ids[:, a:b], state) for a, b in ((0, 5), (5, 6), (6, 11), (11, 16))]
    assert state[0].length == 16
    torch.testing.assert_close(torch.cat(chunks, dim=1), model(ids), atol=1e-5, rtol=0)


@torch.no_grad()
def test_reorder_state_keeps_the_chosen_rows(model):
    ids = random_ids(3, 8, seed=2)
    state = model.init_state(batch_size=3)
    model.decode_step(ids[:, :6], state)
    index = torch.tensor([2, 0, 2])
    model.reorder_state(state, index)
    logits = model.decode_step(ids[index, 6:], state)
    torch.testing.assert_close(logits, model(ids[index])[:, 6:], atol=1e-5, rtol=0)


@torch.no_grad()
def test_intermediates_of_the_causal_stack_end_in_the_logits_features(model):
    ids = random_ids(2, 10, seed=3)
    final, hidden, maps = model.forward_intermediates(ids, indices=1, return_attention=True)
    assert len(hidden) == 1 and maps[0].shape == (2, 4, 10, 10)
    assert maps[0].triu(diagonal=1).abs().max() == 0  # position i attends to 0..i only
    torch.testing.assert_close(model.forward_head(final), model(ids), atol=1e-5, rtol=1e-5)
