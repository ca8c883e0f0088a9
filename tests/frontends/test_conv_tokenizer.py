"""CCT's convolutional tokenizer and sequence pooling: token grid, positions, and a model of both."""

import pytest
import torch

from zoo.backbone.transformer import Transformer
from zoo.contracts import FrontEnd
from zoo.errors import ZooError
from zoo.frontends.conv_tokenizer import ConvTokenizer
from zoo.frontends.image import PatchEmbed
from zoo.heads.classifier import ClassifierHead
from zoo.models.unimodal import UnimodalModel


def test_each_layer_halves_the_sides():
    torch.manual_seed(0)
    tokenizer = ConvTokenizer(img_size=28, in_chans=1, embed_dim=32, conv_layers=2, hidden_channels=16)
    assert isinstance(tokenizer, FrontEnd) and tokenizer.num_prefix_tokens == 0
    x = torch.randn(2, 1, 28, 28)
    tokens = tokenizer(x)
    assert tokens.shape == (2, 7 * 7, 32) and tokenizer.patch_grid(x) == (7, 7)
    conv_only = tokenizer.conv(x).flatten(2).transpose(1, 2)  # token i is the map's pixel i, row-major
    assert torch.allclose(tokens, conv_only + tokenizer.pos_embed)
    assert ConvTokenizer(img_size=28, in_chans=1, embed_dim=32, conv_layers=1)(x).shape == (2, 14 * 14, 32)
    assert tokenizer(torch.randn(1, 1, 36, 36)).shape == (1, 9 * 9, 32)  # learned positions resized
    with pytest.raises(ZooError, match="image has 3 channels but the model expects in_chans=1"):
        tokenizer(torch.randn(1, 3, 28, 28))
    with pytest.raises(ZooError, match="pos_embed must be"):
        ConvTokenizer(pos_embed="rope")


def test_sequence_pooling_weights_tokens_by_a_softmax_over_the_unpadded():
    torch.manual_seed(0)
    head = ClassifierHead(8, 3, pool="seq")
    x = torch.randn(2, 5, 8)
    weights = head.attention_pool(x).squeeze(-1).softmax(-1)  # (B, N)
    expected = head.fc((weights[..., None] * x).sum(1))
    assert torch.allclose(head(x), expected, atol=1e-6)
    pad = torch.tensor([[False] * 5, [False, False, True, True, True]])
    assert torch.allclose(head(x, pad)[1], head(x[1:, :2])[0], atol=1e-6)  # padding gets no weight
    assert head.tokens_read is None


def test_a_cct_is_a_unimodal_model_and_refuses_a_class_token():
    torch.manual_seed(0)
    model = UnimodalModel(
        ConvTokenizer(img_size=28, in_chans=1, embed_dim=32, hidden_channels=16),
        Transformer(32, 2, 2),
        ClassifierHead(32, 10, pool="seq"),
    )
    assert model(torch.randn(3, 1, 28, 28)).shape == (3, 10)
    with pytest.raises(ZooError, match="head seq-pools all tokens but the front-end adds a cls token"):
        UnimodalModel(PatchEmbed(28, 7, 1, 32), Transformer(32, 1, 2), ClassifierHead(32, 10, pool="seq"))
