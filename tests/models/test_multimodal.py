"""MultimodalModel: one backbone shared by every modality or one each, DropToken in training only,
and one line for parts that do not fit together."""

import pytest
import torch

from zoo.backbone import Transformer
from zoo.errors import ZooError
from zoo.frontends.text import TokenEmbed
from zoo.frontends.video import TubeletEmbed
from zoo.frontends.waveform import WaveformPatchEmbed
from zoo.heads.classifier import ClassifierHead
from zoo.heads.projection import FineToCoarseHead, ProjectionHead
from zoo.models.multimodal import MultimodalModel
from zoo.models.unimodal import UnimodalModel

D = 16


def frontends() -> dict:
    return {
        "video": TubeletEmbed(num_frames=4, img_size=8, tubelet_frames=2, patch_size=4, embed_dim=D),
        "audio": WaveformPatchEmbed(sample_rate=1000, max_seconds=1.0, patch_size=100, embed_dim=D),
        "text": TokenEmbed(vocab_size=30, embed_dim=D, max_len=12, cls_token=True),
    }


def heads() -> dict:
    return {
        "video": FineToCoarseHead(D, fine_dim=8, coarse_dim=4),
        "audio": ProjectionHead(D, "va", 8),
        "text": ProjectionHead(D, "vt", 4),
    }


def backbone() -> Transformer:
    return Transformer(embed_dim=D, depth=2, num_heads=2)


def inputs(B: int = 3) -> dict:
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(3, 30, (B, 6), generator=g)
    ids[:, 0] = 2  # [CLS]
    return {"video": torch.randn(B, 3, 4, 8, 8, generator=g), "audio": torch.randn(B, 800, generator=g), "text": ids}


def test_one_shared_backbone_embeds_every_modality_into_its_spaces():
    torch.manual_seed(0)
    model = MultimodalModel(frontends(), backbone(), heads()).eval()
    out = model(inputs())
    shapes = {m: {s: tuple(e.shape) for s, e in spaces.items()} for m, spaces in out.items()}
    assert shapes == {"video": {"va": (3, 8), "vt": (3, 4)}, "audio": {"va": (3, 8)}, "text": {"vt": (3, 4)}}
    assert model.shares_backbone and model.spaces == {
        "video": {"va": 8, "vt": 4},
        "audio": {"va": 8},
        "text": {"vt": 4},
    }
    encoded = model.encode("audio", inputs()["audio"])  # the backbone's output at [AGG]
    tokens = model.frontends["audio"](inputs()["audio"])
    torch.testing.assert_close(encoded, model.backbone(tokens)[:, 0], atol=1e-5, rtol=1e-5)


def test_the_shared_backbone_has_every_unimodal_models_keys_so_a_vit_backbone_loads():
    torch.manual_seed(0)
    model = MultimodalModel(frontends(), backbone(), heads())
    vit = UnimodalModel(frontends()["video"], backbone(), ClassifierHead(D, 2))  # any unimodal model
    theirs = {k: v for k, v in vit.state_dict().items() if k.startswith("backbone.")}
    ours = {k for k in model.state_dict() if k.startswith("backbone.")}
    assert set(theirs) == ours
    model.load_state_dict(theirs, strict=False)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in theirs.items())


def test_a_backbone_per_modality_keeps_them_apart():
    torch.manual_seed(0)
    model = MultimodalModel(frontends(), {m: backbone() for m in ("video", "audio", "text")}, heads())
    assert not model.shares_backbone
    assert {k.split(".")[1] for k in model.state_dict() if k.startswith("backbone.")} == {"video", "audio", "text"}
    before = model.embed("text", inputs()["text"])["vt"].detach()
    torch.nn.init.zeros_(model.backbone["video"].blocks[0].mlp.fc1.weight)  # another modality's backbone
    torch.testing.assert_close(model.embed("text", inputs()["text"])["vt"], before)
    assert len(model.layer_groups()) == 1 + 2 + 1  # front-ends, each depth across backbones, norms


def test_droptoken_thins_video_and_audio_in_training_only():
    torch.manual_seed(0)
    model = MultimodalModel(frontends(), backbone(), heads(), token_keep={"video": 0.5, "audio": 0.25})
    x = inputs()
    assert model.train().forward_tokens("video", x["video"])[0].shape[1] == 1 + 4
    assert model.forward_tokens("audio", x["audio"])[0].shape[1] == 1 + 2
    assert model.eval().forward_tokens("audio", x["audio"])[0].shape[1] == 1 + 8
    assert model.forward_tokens("text", x["text"])[0].shape[1] == 6


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"heads": {"video": FineToCoarseHead(D)}}, "must name the same modalities"),
        ({"backbone": {"video": Transformer(embed_dim=D, depth=1, num_heads=2)}}, "needs one for each of"),
        ({"token_keep": {"text": 0.5}}, "every text token carries meaning"),
        ({"token_keep": {"depth": 0.5}}, "not one of video, audio, text"),
    ],
)
def test_parts_that_do_not_fit_get_one_line(change, message):
    parts = {"frontends": frontends(), "backbone": backbone(), "heads": heads(), **change}
    with pytest.raises(ZooError, match=message):
        MultimodalModel(**parts)


def test_a_frontend_without_an_agg_token_is_refused():
    parts = frontends()
    parts["video"] = TubeletEmbed(
        num_frames=4, img_size=8, tubelet_frames=2, patch_size=4, embed_dim=D, agg_token=False
    )
    with pytest.raises(ZooError, match=r"needs an \[AGG\]/class token"):
        MultimodalModel(parts, backbone(), heads())
    with pytest.raises(ZooError, match="this model reads video, audio, text"):
        MultimodalModel(frontends(), backbone(), heads())({"depth": torch.zeros(1)})
