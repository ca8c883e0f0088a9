"""UnimodalModel as a ViT: logits equal timm's VisionTransformer with the same weights."""

import pytest
import timm
import torch

from zoo.backbone import Transformer
from zoo.errors import ZooError
from zoo.frontends import PatchEmbed
from zoo.heads import ClassifierHead
from zoo.models import UnimodalModel, vision_transformer


def _timm_to_zoo(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """timm ViT (no_embed_class=True) keys -> zoo UnimodalModel keys."""
    renames = {
        "patch_embed.proj.": "frontend.proj.",
        "cls_token": "frontend.cls_token",
        "pos_embed": "frontend.pos_embed",
        "blocks.": "backbone.blocks.",
        "norm.": "backbone.norm.",
        "head.": "head.fc.",
    }
    out = {}
    for key, value in state.items():
        prefix = next(p for p in renames if key.startswith(p))
        out[renames[prefix] + key[len(prefix) :]] = value
    return out


def test_vit_logits_match_timm_with_copied_weights():
    torch.manual_seed(0)
    ref = timm.create_model(
        "vit_tiny_patch16_224",
        pretrained=False,
        img_size=28,
        patch_size=4,
        in_chans=1,
        num_classes=10,
        depth=2,
        no_embed_class=True,
    ).eval()
    ours = UnimodalModel(
        PatchEmbed(img_size=28, patch_size=4, in_chans=1, embed_dim=192),
        Transformer(embed_dim=192, depth=2, num_heads=3, norm_eps=1e-6),
        ClassifierHead(192, 10),
    ).eval()
    ours.load_state_dict(_timm_to_zoo(ref.state_dict()), strict=True)
    x = torch.randn(4, 1, 28, 28)
    torch.testing.assert_close(ours(x), ref(x), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ours.forward_features(x), ref.forward_features(x), atol=1e-5, rtol=1e-5)


def test_cls_head_needs_a_cls_token():
    frontend = PatchEmbed(img_size=8, patch_size=4, in_chans=1, embed_dim=8, cls_token=False)
    with pytest.raises(ValueError, match="front-end adds none"):
        UnimodalModel(frontend, Transformer(8, 1, 2), ClassifierHead(8, 3, pool="cls"))


def test_a_part_that_breaks_its_contract_is_one_line():
    frontend = PatchEmbed(img_size=8, patch_size=4, in_chans=1, embed_dim=8)
    with pytest.raises(ZooError, match=r"Linear is not a front-end: it needs num_prefix_tokens, padding_mask\(x\)"):
        UnimodalModel(torch.nn.Linear(8, 8), Transformer(8, 1, 2), ClassifierHead(8, 3))
    with pytest.raises(ZooError, match="Linear is not a head: it needs tokens_read"):
        UnimodalModel(frontend, Transformer(8, 1, 2), torch.nn.Linear(8, 3))


def test_mean_pooling_refuses_a_cls_token():
    frontend = PatchEmbed(img_size=8, patch_size=4, in_chans=1, embed_dim=8, cls_token=True)
    with pytest.raises(ZooError, match="set cls_token: false or pool: cls"):
        UnimodalModel(frontend, Transformer(8, 1, 2), ClassifierHead(8, 3, pool="mean"))


class _Tokens(torch.nn.Module):
    """A front-end that passes (B, N, D) tokens through, as a text front-end will."""

    num_prefix_tokens = 0

    def forward(self, x):
        return x

    def padding_mask(self, x):
        return None

    def patch_grid(self, x):
        return None


def test_padding_mask_reaches_backbone_and_head():
    torch.manual_seed(0)
    model = UnimodalModel(_Tokens(), Transformer(8, 2, 2), ClassifierHead(8, 3, pool="mean")).eval()
    torch.nn.init.normal_(model.head.fc.weight)
    x = torch.randn(1, 4, 8)
    padded = torch.cat([x, torch.randn(1, 2, 8)], dim=1)
    mask = torch.tensor([[False] * 4 + [True] * 2])
    torch.testing.assert_close(model(padded, mask), model(x), atol=1e-5, rtol=1e-5)


def test_attention_maps_cover_cls_and_patches():
    model = vision_transformer("tiny", img_size=8, patch_size=4, in_chans=1, num_classes=3, depth=2)
    _, _, maps = model.forward_intermediates(torch.randn(2, 1, 8, 8), return_attention=True)
    assert len(maps) == 2 and maps[0].shape == (2, 3, 5, 5)


def test_intermediates_end_in_the_features_the_head_reads():
    torch.manual_seed(0)
    model = vision_transformer("tiny", img_size=8, patch_size=4, in_chans=1, num_classes=3, depth=3).eval()
    x = torch.randn(2, 1, 8, 8)
    final, hidden, maps = model.forward_intermediates(x, indices=[1], return_attention=True)
    assert len(hidden) == len(maps) == 1 and hidden[0].shape == (2, 5, 192) and maps[0].shape == (2, 3, 5, 5)
    torch.testing.assert_close(final, model.forward_features(x), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(model.forward_head(final), model(x), atol=1e-5, rtol=1e-5)
    rows, cols = model.frontend.patch_grid(x)  # where the 4 patch tokens after the cls token lie
    assert maps[0][:, :, 0, 1:].reshape(2, 3, rows, cols).shape == (2, 3, 2, 2)


def test_cls_classifier_computes_the_last_block_for_the_cls_token_only():
    torch.manual_seed(0)
    model = vision_transformer("tiny", img_size=8, patch_size=4, in_chans=1, num_classes=3, depth=2).train()
    assert model.head.tokens_read == 1
    x = torch.randn(2, 1, 8, 8)
    torch.manual_seed(1)  # the same stochastic-depth draws for both (dropout is off)
    logits = model(x)
    grads = torch.autograd.grad(logits.square().sum(), list(model.parameters()))
    torch.manual_seed(1)
    full = model.forward_head(model.forward_features(x))
    full_grads = torch.autograd.grad(full.square().sum(), list(model.parameters()))
    torch.testing.assert_close(logits, full, atol=1e-5, rtol=1e-5)
    for got, expected in zip(grads, full_grads, strict=True):  # every parameter still learns
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
