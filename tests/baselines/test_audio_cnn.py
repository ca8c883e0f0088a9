"""LogMelResNet keeps the audio classifier's contract: (B, T) zero-padded waveforms -> (B, classes)."""

import torch

from zoo.baselines import LogMelResNet
from zoo.frontends.audio import LogMel


def test_same_contract_as_the_ast_classifier():
    model = LogMelResNet(num_classes=9, widths=(8, 16), depths=(1, 1))
    assert model(torch.randn(2, 16000)).shape == (2, 9)
    assert model.get_classifier() is model.fc and len(model.layer_groups()) == 3
    assert not any(key.startswith("logmel.") for key in model.state_dict())  # fixed, not weights


def test_the_input_is_the_asts_log_mel():
    model = LogMelResNet(num_classes=2, n_mels=40, mean=-5.0, std=3.0)
    x = torch.randn(1, 8000)
    torch.testing.assert_close(model.logmel(x), LogMel(n_mels=40, mean=-5.0, std=3.0)(x))


def test_padding_is_left_out_of_the_pool():
    model = LogMelResNet(num_classes=3, widths=(8, 16), depths=(1, 1)).eval()
    clip = torch.randn(1, 12000)
    padded = torch.nn.functional.pad(clip, (0, 36000))
    with torch.no_grad():
        steps = model.forward_features(clip).shape[-1]  # the time steps of the clip alone
        per_step = model.forward_features(padded).mean(dim=2)  # (1, C, T') of the padded clip
        torch.testing.assert_close(model(padded), model.fc(per_step[..., :steps].mean(dim=-1)))
        assert not torch.allclose(model(padded), model.fc(per_step.mean(dim=-1)))
