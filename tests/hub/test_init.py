"""Starting a model from another checkpoint: all of it, or only its backbone (cross-modal transfer)."""

import pytest
import torch

import zoo
from zoo.backbone import Transformer
from zoo.errors import ZooError
from zoo.frontends import SpectrogramPatchEmbed, TokenEmbed
from zoo.heads import ClassifierHead, LMHead
from zoo.hub.checkpoint import stored_state, write_checkpoint
from zoo.hub.init import init_from_checkpoint
from zoo.models.unimodal import UnimodalModel


def audio_model(embed_dim=192, depth=6, num_heads=3) -> UnimodalModel:
    frontend = SpectrogramPatchEmbed(max_seconds=1.0, n_mels=32, patch_size=8, embed_dim=embed_dim)
    return UnimodalModel(frontend, Transformer(embed_dim, depth, num_heads), ClassifierHead(embed_dim, 9))


def test_an_audio_model_takes_the_image_vits_backbone_and_keeps_its_own_frontend_and_head():
    vit = zoo.load("vit-tiny-fashion-mnist").model
    model = audio_model()
    fresh = {k: v.clone() for k, v in model.state_dict().items()}
    report = init_from_checkpoint(model, "vit-tiny-fashion-mnist", ["backbone"])
    backbone = [k for k in fresh if k.startswith("backbone.")]
    assert sorted(report.reused) == sorted(backbone) and len(backbone) == 74
    assert all(k.startswith(("frontend.", "head.")) for k in report.reinitialised)
    state = model.state_dict()
    for key in backbone:  # the ViT's weights, loaded exactly (float16 in the checkpoint)
        torch.testing.assert_close(state[key], vit.state_dict()[key].float())
    for key in report.reinitialised:
        assert torch.equal(state[key], fresh[key])
    assert str(report) == (
        "reused 74 tensors; re-initialised 7: frontend.cls_token, frontend.freq_embed, frontend.time_embed, "
        "frontend.proj.weight, frontend.proj.bias, head.fc.weight, head.fc.bias"
    )


def test_a_backbone_of_another_shape_or_an_unknown_module_is_one_line():
    with pytest.raises(ZooError, match=r"weights shaped differently in the checkpoint for this model: backbone\."):
        init_from_checkpoint(audio_model(embed_dim=64, num_heads=2), "vit-tiny-fashion-mnist", ["backbone"])
    with pytest.raises(ZooError, match=r"weights missing from the checkpoint for this model: backbone.blocks.6"):
        init_from_checkpoint(audio_model(depth=8), "vit-tiny-fashion-mnist", ["backbone"])
    with pytest.raises(ZooError, match=r"modules \['encoder'\] are not submodules of the model"):
        init_from_checkpoint(audio_model(), "vit-tiny-fashion-mnist", ["encoder"])


def test_without_modules_everything_but_the_classifier_must_load():
    with pytest.raises(ZooError, match=r"weights (missing from|shaped differently in) the checkpoint"):
        init_from_checkpoint(audio_model(), "vit-tiny-fashion-mnist")


def test_an_empty_module_list_is_refused():
    with pytest.raises(ZooError, match=r"modules is empty"):
        init_from_checkpoint(audio_model(), "vit-tiny-fashion-mnist", [])


def text_model(head: torch.nn.Module, context: int = 12) -> UnimodalModel:
    torch.manual_seed(0)
    frontend = TokenEmbed(50, 16, context, pos_embed="learned", cls_token=True)
    return UnimodalModel(frontend, Transformer(16, 2, 2), head)


@pytest.mark.parametrize("pretrained_head", ["lm", "other labels"])
def test_a_classifier_takes_everything_but_its_task_head(pretrained_head, tmp_path):
    """As the BERT recipe starts from its masked-LM run: the classifier's ``head`` keeps its init."""
    source = text_model(LMHead(16, 50) if pretrained_head == "lm" else ClassifierHead(16, 7))
    write_checkpoint(tmp_path / "ck", stored_state(source), {"model": {}}, {}, "")
    model = text_model(ClassifierHead(16, 3))
    fresh = model.head.fc.weight.detach().clone()
    report = init_from_checkpoint(model, str(tmp_path / "ck"))
    assert report.reinitialised == ["head.fc.weight", "head.fc.bias"]
    assert torch.equal(model.head.fc.weight, fresh)
    torch.testing.assert_close(model.backbone.state_dict(), source.backbone.state_dict(), rtol=0, atol=0)


def test_a_longer_context_than_the_checkpoints_extends_its_positions_and_a_shorter_one_is_refused(tmp_path):
    source = text_model(LMHead(16, 50))
    write_checkpoint(tmp_path / "ck", stored_state(source), {"model": {}}, {}, "")
    model = text_model(ClassifierHead(16, 3), context=30)
    report = init_from_checkpoint(model, str(tmp_path / "ck"))
    assert "frontend.pos_embed" in report.reused
    trained = source.frontend.pos_embed.detach()
    torch.testing.assert_close(model.frontend.pos_embed[:, :12].detach(), trained, rtol=0, atol=0)
    torch.testing.assert_close(model.frontend.pos_embed[:, 24:].detach(), trained[:, :6], rtol=0, atol=0)
    with pytest.raises(ZooError, match=r"shaped differently in the checkpoint for this model: frontend\.pos_embed"):
        init_from_checkpoint(text_model(ClassifierHead(16, 3), context=8), str(tmp_path / "ck"))
