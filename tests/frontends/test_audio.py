import pytest
import torch
import torchaudio

from zoo.backbone import Transformer
from zoo.errors import ZooError
from zoo.frontends.audio import LogMel, SpecAugment, SpectrogramPatchEmbed, waveform_lengths
from zoo.heads import ClassifierHead
from zoo.models.unimodal import UnimodalModel


def ast(pos_embed="learned", cls_token=True, **frontend) -> UnimodalModel:
    args = {"max_seconds": 1.0, "n_mels": 32, "patch_size": 8, "patch_stride": (8, 4), "embed_dim": 32}
    frontend = SpectrogramPatchEmbed(**{**args, "pos_embed": pos_embed, "cls_token": cls_token, **frontend})
    head = ClassifierHead(32, 5, pool="cls" if cls_token else "mean")
    return UnimodalModel(frontend, Transformer(32, 2, 2), head).eval()


def test_log_mel_equals_torchaudio_mel_spectrogram():
    reference = torchaudio.transforms.MelSpectrogram(
        16000, n_fft=400, win_length=400, hop_length=160, f_min=20.0, n_mels=64, center=False
    )
    x = torch.randn(2, 8000)
    ours = LogMel(16000, n_mels=64, mean=0.0, std=1.0)(x)
    torch.testing.assert_close(ours, torch.log(reference(x) + 1e-6), atol=1e-4, rtol=1e-5)
    assert ours.shape == (2, 64, (8000 - 400) // 160 + 1)


def test_log_mel_stays_float32_when_the_module_is_cast():
    logmel = LogMel(mean=0.0, std=1.0)
    x = torch.randn(1, 4000)
    torch.testing.assert_close(logmel.to(torch.bfloat16)(x), LogMel(mean=0.0, std=1.0)(x))


def test_log_mel_stores_nothing_and_ignores_autocast():
    logmel = LogMel(mean=-6.0, std=4.0)
    assert logmel.state_dict() == {}  # the window and filterbank are fixed, not weights
    x = torch.randn(1, 4000)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        spec = logmel(x)
    assert spec.dtype == torch.float32
    torch.testing.assert_close(spec, logmel(x))


def test_waveform_lengths_are_the_last_nonzero_sample():
    x = torch.zeros(3, 10)
    x[0, :4] = 1.0
    x[1] = 1.0
    x[2, 6] = -0.5  # a zero inside the clip is not padding
    assert waveform_lengths(x).tolist() == [4, 10, 7]
    assert waveform_lengths(torch.zeros(1, 10)).tolist() == [1]  # silence: one sample, never zero


def test_patch_grid_and_token_count():
    frontend = SpectrogramPatchEmbed(max_seconds=1.0, n_mels=32, patch_size=8, patch_stride=(8, 4), embed_dim=32)
    frames = (16000 - 400) // 160 + 1  # 98
    assert frontend.grid == (4, (frames - 8) // 4 + 1)
    tokens = frontend(torch.randn(2, 16000))
    assert tokens.shape == (2, 1 + 4 * 23, 32)
    short = frontend(torch.randn(2, 8000))  # fewer time columns, the same frequency rows
    assert short.shape == (2, 1 + 4 * ((49 - 8) // 4 + 1), 32)


@pytest.mark.parametrize("samples", [16000, 8000, 500])  # the last is shorter than one patch
def test_patch_grid_lays_out_the_tokens_after_the_cls_token(samples):
    frontend = SpectrogramPatchEmbed(max_seconds=1.0, n_mels=32, patch_size=8, patch_stride=(8, 4), embed_dim=32)
    x = torch.randn(2, samples)
    rows, cols = frontend.patch_grid(x)
    assert rows == 4 and frontend(x).shape[1] == 1 + rows * cols
    assert frontend.padding_mask(x) is None  # no zeros at the end: nothing is padding


def test_tokens_run_frequency_major_with_frequency_and_time_positions():
    frontend = SpectrogramPatchEmbed(max_seconds=1.0, n_mels=32, patch_size=8, embed_dim=32, cls_token=False)
    for p in frontend.proj.parameters():
        torch.nn.init.zeros_(p)  # tokens are then the position embeddings alone
    tokens = frontend(torch.randn(1, 16000))[0]  # (Gf * Gt, D)
    Gf, Gt = 4, 12
    expected = (frontend.freq_embed + frontend.time_embed)[0].reshape(Gf * Gt, 32)
    torch.testing.assert_close(tokens, expected)


@pytest.mark.parametrize("length", [9000, 1000])  # 1000 samples: shorter than one patch (1520)
def test_a_clip_gives_the_same_logits_alone_and_in_a_padded_batch(length):
    model = ast()
    clip = torch.randn(1, length)
    batch = torch.zeros(3, 16000)
    batch[0, :length] = clip[0]
    batch[1] = torch.randn(16000)
    batch[2, :3000] = torch.randn(3000)
    with torch.no_grad():
        torch.testing.assert_close(model(batch)[:1], model(clip), atol=1e-5, rtol=1e-5)


def test_mean_pooling_ignores_the_padding_too():
    model = ast(cls_token=False)
    clip = torch.randn(1, 7000)
    padded = torch.nn.functional.pad(clip, (0, 9000))
    with torch.no_grad():
        torch.testing.assert_close(model(padded), model(clip), atol=1e-5, rtol=1e-5)


def test_padding_mask_marks_the_columns_past_each_clip():
    frontend = ast().frontend
    batch = torch.zeros(2, 16000)
    batch[0] = torch.randn(16000)
    batch[1, :8000] = torch.randn(8000)
    mask = frontend.padding_mask(batch)
    assert mask.shape == (2, 1 + 4 * 23)
    assert not mask[0].any() and not mask[:, 0].any()  # full clip; the cls token is never padding
    columns = mask[1, 1:].reshape(4, 23)
    assert (columns == columns[:1]).all()  # a padded column is padded at every frequency
    valid = (49 - 8) // 4 + 1  # the columns inside 0.5 s
    assert not columns[0, :valid].any() and columns[0, valid:].all()
    assert frontend.padding_mask(batch[:1]) is None  # nothing padded: no mask at all


def test_a_silent_clip_keeps_one_column_and_gives_finite_logits():
    model = ast()
    silence = torch.zeros(2, 16000)
    mask = model.frontend.padding_mask(silence)
    assert (~mask[:, 1:].reshape(2, 4, 23)[:, 0]).sum(-1).tolist() == [1, 1]
    assert torch.isfinite(model(silence)).all()


def test_sincos_positions_and_shorter_than_one_patch():
    model = ast(pos_embed="sincos")
    assert "frontend.pos_embed" not in model.state_dict()
    assert model(torch.randn(2, 500)).shape == (2, 5)  # 0.03 s: padded to one patch


def test_spec_augment_masks_bands_in_training_only():
    augment = SpecAugment(freq_mask=8, time_mask=20, num_masks=2)
    spec = torch.ones(16, 64, 100)
    assert torch.equal(augment.eval()(spec), spec)
    torch.manual_seed(0)
    masked = augment.train()(spec)
    zeros = masked == 0
    assert zeros.any() and not zeros.all()
    freq_rows = zeros.all(dim=2).sum(dim=1)  # fully masked frequency rows per example
    time_cols = zeros.all(dim=1).sum(dim=1)
    assert (freq_rows <= 2 * 8).all() and (time_cols <= 2 * 20).all()
    assert len({tuple(z.flatten().tolist()) for z in zeros}) > 1  # each example draws its own


def test_spec_augment_time_masks_fall_inside_each_clip():
    augment = SpecAugment(time_mask=10, num_masks=3).train()
    spec = torch.ones(64, 8, 100)
    frames = torch.full((64,), 30)
    masked_time = (augment(spec, frames) == 0).all(dim=1)  # (B, T) fully masked frames
    assert masked_time.any() and not masked_time[:, 30:].any()


@pytest.mark.parametrize(
    "args, message",
    [
        ({"patch_size": 80}, "exceeds n_mels"),
        ({"patch_size": (8, 0)}, "patch_size must be a positive int"),
        ({"pos_embed": "rope"}, "pos_embed must be"),
    ],
)
def test_bad_settings_are_one_line(args, message):
    with pytest.raises(ZooError, match=message):
        SpectrogramPatchEmbed(n_mels=64, **args)


def test_bad_inputs_are_one_line():
    frontend = ast().frontend
    with pytest.raises(ZooError, match=r"clip of 2.00 s is longer than the model's 1.00 s; crop it"):
        frontend(torch.randn(1, 32000))
    with pytest.raises(ZooError, match=r"takes \(batch, samples\) waveforms, got shape \(2, 1, 100\)"):
        frontend(torch.randn(2, 1, 100))


def test_the_ast_preset_is_the_shared_backbone_on_spectrogram_patches():
    from zoo.models import audio_spectrogram_transformer

    model = audio_spectrogram_transformer("tiny", num_classes=9, max_seconds=1.0, depth=2).eval()
    assert isinstance(model.backbone, Transformer) and model.backbone.embed_dim == 192
    assert model(torch.randn(2, 12000)).shape == (2, 9)
