"""TokenEmbed against the 2017 paper (3.4: embedding * sqrt(D); 3.5: sinusoidal positions) and
padding invariance of a text classifier built on it."""

import math

import pytest
import torch

from zoo.backbone import Transformer
from zoo.errors import ZooError
from zoo.frontends.position import sinusoidal_encoding
from zoo.frontends.text import TokenEmbed
from zoo.heads import ClassifierHead
from zoo.models import UnimodalModel

V, D, CONTEXT, PAD = 40, 16, 24, 0


def ids(batch: int = 2, n: int = 10, seed: int = 0) -> torch.Tensor:
    """(batch, n) ids that are never the pad id."""
    return torch.randint(1, V, (batch, n), generator=torch.Generator().manual_seed(seed))


def test_output_shape():
    assert TokenEmbed(V, D, CONTEXT)(ids(3, 7)).shape == (3, 7, D)


@pytest.mark.parametrize("scale", [True, False])
def test_embedding_is_scaled_by_sqrt_d_plus_sinusoids(scale):
    """Vaswani et al. 2017, 3.4 and 3.5: tokens = embedding(ids) * sqrt(D) + PE (no scale when False)."""
    embed = TokenEmbed(V, D, CONTEXT, scale=scale).eval()
    x = ids()
    factor = math.sqrt(D) if scale else 1.0
    expected = embed.embedding(x) * factor + sinusoidal_encoding(x.shape[1], D)
    torch.testing.assert_close(embed(x), expected)


def test_sinusoidal_positions_are_the_paper_formula_and_not_stored():
    embed = TokenEmbed(V, D, CONTEXT, pos_embed="sinusoidal")
    torch.testing.assert_close(embed.pos_embed[0], sinusoidal_encoding(CONTEXT, D))
    assert "pos_embed" not in dict(embed.named_parameters())
    assert "pos_embed" not in embed.state_dict()


def test_learned_positions_are_a_parameter():
    embed = TokenEmbed(V, D, CONTEXT, pos_embed="learned")
    assert isinstance(embed.pos_embed, torch.nn.Parameter)
    assert embed.pos_embed.shape == (1, CONTEXT, D)
    assert "pos_embed" in embed.state_dict()


def test_a_longer_context_starts_from_the_trained_positions_repeated():
    """Longformer's start (Beltagy et al. 2020, 3.5): positions 0..N-1 are the trained ones, then they repeat."""
    trained = torch.randn(1, 10, D)
    longer = TokenEmbed(V, D, 25, pos_embed="learned").extend_positions(trained)
    assert longer.shape == (1, 25, D)
    torch.testing.assert_close(longer[:, :10], trained, rtol=0, atol=0)
    torch.testing.assert_close(longer[:, 10:20], trained, rtol=0, atol=0)
    torch.testing.assert_close(longer[:, 20:], trained[:, :5], rtol=0, atol=0)


def test_unknown_position_kind_is_refused():
    with pytest.raises(ZooError, match="pos_embed"):
        TokenEmbed(V, D, CONTEXT, pos_embed="rotary")


@pytest.mark.parametrize("pos_embed", ["sinusoidal", "learned"])
def test_offset_shifts_positions(pos_embed):
    """Ids 2.. embedded at offset 2 are the last columns of the whole sequence's embedding (cached decoding)."""
    embed = TokenEmbed(V, D, CONTEXT, pos_embed=pos_embed).eval()
    x = ids(2, 9)
    torch.testing.assert_close(embed(x[:, 2:], offset=2), embed(x)[:, 2:])
    assert not torch.allclose(embed(x[:, 2:]), embed(x)[:, 2:])


def test_pad_row_is_zero_at_init():
    embed = TokenEmbed(V, D, CONTEXT, pad_id=3)
    assert torch.count_nonzero(embed.embedding.weight[3]) == 0
    assert torch.count_nonzero(embed.embedding.weight[4]) > 0


def test_padding_mask_marks_pad_ids():
    x = torch.tensor([[5, 6, PAD, PAD], [7, PAD, 8, 9]])
    expected = torch.tensor([[False, False, True, True], [False, True, False, False]])
    assert torch.equal(TokenEmbed(V, D, CONTEXT, pad_id=PAD).padding_mask(x), expected)
    assert TokenEmbed(V, D, CONTEXT, pad_id=None).padding_mask(x) is None


def test_text_tokens_form_no_grid_and_share_their_embedding():
    embed = TokenEmbed(V, D, CONTEXT)
    assert embed.patch_grid(torch.zeros(1, 4, dtype=torch.long)) is None
    assert embed.get_input_embeddings() is embed.embedding


def test_too_long_input_names_the_context():
    embed = TokenEmbed(V, D, max_len=8)
    embed(ids(1, 8))  # exactly the context is fine
    with pytest.raises(ZooError, match="context of 8"):
        embed(ids(1, 9))
    with pytest.raises(ZooError, match="context of 8"):
        embed(ids(1, 4), offset=5)


def test_float_input_is_refused():
    with pytest.raises(ZooError, match="integer token ids"):
        TokenEmbed(V, D, CONTEXT)(torch.rand(2, 5))


def test_position_embedding_is_not_decayed():
    assert TokenEmbed(V, D, CONTEXT, pos_embed="learned").no_weight_decay() == {"pos_embed"}


def text_classifier(cls_token: bool) -> UnimodalModel:
    torch.manual_seed(0)
    return UnimodalModel(
        TokenEmbed(V, D, CONTEXT, pad_id=PAD, cls_token=cls_token),
        Transformer(D, depth=2, num_heads=2),
        ClassifierHead(D, 3, pool="cls" if cls_token else "mean"),
    ).eval()


@pytest.mark.parametrize("cls_token", [True, False], ids=["cls-pool", "mean-pool"])
def test_logits_do_not_depend_on_right_padding(cls_token):
    """The model derives the padding mask from pad ids: a padded text scores as it does alone."""
    model = text_classifier(cls_token)
    short, long = ids(1, 5, seed=1), ids(1, 12, seed=2)
    batch = torch.full((2, 12), PAD)
    batch[0, :5], batch[1] = short[0], long[0]
    with torch.no_grad():
        logits = model(batch)
        torch.testing.assert_close(logits[0], model(short)[0], atol=1e-5, rtol=0)
        torch.testing.assert_close(logits[1], model(long)[0], atol=1e-5, rtol=0)
        # without the mask the pads are attended to and the logits move: the mask is what does it
        unmasked = model.forward_head(model.forward_features(batch), None)
    assert not torch.allclose(unmasked[0], logits[0], atol=1e-4)


def test_ids_beyond_the_vocabulary_name_the_mismatch():
    """A tokenizer larger than the model's vocab_size fails with one line, not an IndexError."""
    with pytest.raises(ZooError, match="token id 50 is outside the model's vocab_size 50"):
        TokenEmbed(50, 8)(torch.tensor([[1, 50]]))
