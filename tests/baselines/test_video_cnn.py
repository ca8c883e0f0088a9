"""The video CNN baseline: torchvision's (2+1)-D convolution to the number, and finite gradients
in bf16 on clips of 2 frames, where PyTorch's own temporal padding gives NaN."""

import torch
from torchvision.models.video.resnet import Conv2Plus1D as TorchvisionConv2Plus1D

from zoo.baselines.video_cnn import Conv2Plus1D, R2Plus1DNet


def test_conv2plus1d_matches_torchvisions_on_the_same_weights():
    torch.manual_seed(0)
    ours, theirs = Conv2Plus1D(6, 8, 10, stride=2).eval(), TorchvisionConv2Plus1D(6, 8, 10, stride=2).eval()
    ours_state = {k.replace("3.1.", "3."): v for k, v in ours.state_dict().items()}
    theirs.load_state_dict(ours_state)
    x = torch.randn(2, 6, 5, 9, 9)
    torch.testing.assert_close(ours(x), theirs(x))


def test_bf16_gradients_are_finite_on_two_frame_stages():
    """Stage 3 of 4 sees 2 frames; 20 bf16 backward passes (PyTorch's padding: NaN in some)."""
    torch.manual_seed(0)
    model = R2Plus1DNet(num_classes=8, widths=[8, 16, 32], depths=[1, 1, 1])
    video = torch.randn(16, 3, 8, 16, 16)
    for _ in range(20):
        with torch.autocast("cpu", torch.bfloat16):
            loss = model(video).float().pow(2).mean()
        model.zero_grad()
        loss.backward()
        assert all(torch.isfinite(p.grad).all() for p in model.parameters())
