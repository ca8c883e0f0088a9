"""Projection heads: VATT's bridge, the coarse space built on the fine one."""

import torch
from torch import nn

from zoo.heads.projection import FineToCoarseHead, ProjectionHead


def test_the_video_bridge_is_vatts_layer_stack_and_coarse_reads_fine():
    torch.manual_seed(0)
    head = FineToCoarseHead(embed_dim=16, fine_dim=12, coarse_dim=6).eval()
    kinds = [type(m) for m in head.to_fine] + [type(m) for m in head.to_coarse]
    assert kinds == [nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Linear, nn.BatchNorm1d]
    assert all(m.bias is None for m in (*head.to_fine, *head.to_coarse) if isinstance(m, nn.Linear))
    x = torch.randn(5, 16)
    out = head(x)
    assert head.spaces == {"va": 12, "vt": 6} and {k: v.shape for k, v in out.items()} == {"va": (5, 12), "vt": (5, 6)}
    torch.testing.assert_close(out["vt"], head.to_coarse(out["va"]))
    nn.init.zeros_(head.to_coarse[1].weight)  # changing the coarse layers leaves the fine space alone
    torch.testing.assert_close(head(x)["va"], out["va"])


def test_a_linear_head_projects_into_its_one_space():
    torch.manual_seed(0)
    head = ProjectionHead(embed_dim=16, space="va", dim=12)
    x = torch.randn(3, 16)
    torch.testing.assert_close(head(x)["va"], head.proj(x))
    assert head.spaces == {"va": 12}
    with_post = ProjectionHead(embed_dim=16, space="vt", dim=4, hidden_dim=8)
    assert with_post(x)["vt"].shape == (3, 4) and isinstance(with_post.post[1], nn.GELU)
