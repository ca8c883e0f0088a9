"""LMHead: shapes, weight tying (Press & Wolf 2017, as BERT and GPT-2) and a tied checkpoint's round trip."""

import pytest
import torch
from torch import nn

from zoo.backbone import Transformer
from zoo.errors import ZooError
from zoo.frontends.text import TokenEmbed
from zoo.heads.lm import LMHead
from zoo.hub.checkpoint import load_weights, stored_state, tied_aliases
from zoo.models import UnimodalModel

V, D = 50, 16


def language_model(tie_weights: bool = True, transform: bool = False, seed: int = 0) -> UnimodalModel:
    torch.manual_seed(seed)
    return UnimodalModel(
        TokenEmbed(V, D, max_len=16),
        Transformer(D, depth=1, num_heads=2),
        LMHead(D, V, transform=transform, tie_weights=tie_weights),
    ).eval()


def test_logits_shape():
    head = LMHead(D, V)
    assert head(torch.randn(3, 7, D)).shape == (3, 7, V)
    assert head.vocab_size == V


def test_tie_to_shares_one_parameter():
    embedding = nn.Embedding(V, D)
    head = LMHead(D, V)
    head.tie_to(embedding)
    assert head.decoder.weight is embedding.weight
    x = torch.randn(2, 3, D)
    torch.testing.assert_close(head(x), x @ embedding.weight.T + head.decoder.bias)


def test_model_ties_when_asked_only():
    tied, untied = language_model(tie_weights=True), language_model(tie_weights=False)
    assert tied.head.decoder.weight is tied.frontend.embedding.weight
    assert untied.head.decoder.weight is not untied.frontend.embedding.weight
    assert len(list(tied.parameters())) == len(list(untied.parameters())) - 1


def test_transform_is_dense_gelu_layernorm():
    """BERT's prediction head: dense + GELU + LayerNorm before the projection."""
    assert isinstance(LMHead(D, V).transform, nn.Identity)
    transform = LMHead(D, V, transform=True).transform
    assert [type(m) for m in transform] == [nn.Linear, nn.GELU, nn.LayerNorm]
    head = LMHead(D, V, transform=True)
    x = torch.randn(2, 3, D)
    dense, _, norm = head.transform
    torch.testing.assert_close(head(x), head.decoder(norm(nn.functional.gelu(dense(x)))))


def test_tied_checkpoint_stores_the_tensor_once_and_reloads_tied():
    model = language_model(transform=True, seed=0)
    assert tied_aliases(model) == {"head.decoder.weight": "frontend.embedding.weight"}
    state = stored_state(model)
    assert "head.decoder.weight" not in state and "frontend.embedding.weight" in state

    fresh = language_model(transform=True, seed=1)
    x = torch.randint(1, V, (2, 9))
    assert not torch.allclose(fresh(x), model(x))
    load_weights(fresh, state)
    torch.testing.assert_close(fresh(x), model(x))
    assert fresh.head.decoder.weight is fresh.frontend.embedding.weight


def test_tying_mismatched_sizes_is_one_clear_error():
    with pytest.raises(ZooError, match="same vocab_size"):
        UnimodalModel(TokenEmbed(50, D), Transformer(D, 1, 2), LMHead(D, 40))


def test_float16_round_trip_of_a_tied_model_keeps_the_tie():
    """``zoo run --weights-dtype float16`` rounds the weights in place before testing them."""
    from zoo.hub.export import round_trip

    model = UnimodalModel(TokenEmbed(V, D), Transformer(D, 1, 2), LMHead(D, V))
    before = model.frontend.embedding.weight.detach().clone()
    round_trip(model, "float16")
    assert model.head.decoder.weight is model.frontend.embedding.weight
    assert torch.equal(model.frontend.embedding.weight, before.half().float())
