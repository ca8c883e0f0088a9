"""DeiT's head: one classifier on the class token, one on the distillation token.

Touvron et al., "Training data-efficient image transformers & distillation through attention",
2021, https://arxiv.org/abs/2012.12877: the class token's classifier learns the labels, the
distillation token's learns a teacher's predictions (``zoo.tasks.distillation``); at inference
the two classifiers' logits are averaged. Use it with ``PatchEmbed(dist_token=True)``.
"""

from __future__ import annotations

from torch import Tensor, nn

from zoo.errors import ZooError
from zoo.heads.classifier import FcClassifier, _init_fc, new_linear


class DistilledClassifierHead(FcClassifier, nn.Module):
    """(B, N, D) tokens, token 0 the class token and token 1 the distillation token ->
    (B, num_classes) logits, the mean of ``fc`` on token 0 and ``fc_dist`` on token 1.

    Args:
        embed_dim: token width D.
        num_classes: output classes.
        drop: dropout before each linear layer.
    """

    tokens_read = 2  # the backbone's last block computes only the two prefix tokens

    def __init__(self, embed_dim: int, num_classes: int, drop: float = 0.0) -> None:
        super().__init__()
        self.drop = nn.Dropout(drop)
        self.fc = _init_fc(nn.Linear(embed_dim, num_classes))
        self.fc_dist = _init_fc(nn.Linear(embed_dim, num_classes))

    def reset_classifier(self, num_classes: int) -> None:
        """Fresh ``fc`` and ``fc_dist`` of ``num_classes`` outputs, initialised as a new head is."""
        self.fc = _init_fc(new_linear(self.fc, num_classes))
        self.fc_dist = _init_fc(new_linear(self.fc_dist, num_classes))

    def check_prefix_tokens(self, num_prefix_tokens: int) -> None:
        if num_prefix_tokens != 2:
            raise ZooError(
                f"a distilled head reads a class and a distillation token but the front-end adds {num_prefix_tokens} "
                "prefix tokens; set cls_token: true and dist_token: true"
            )

    def forward_both(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(B, N, D) -> ((B, num_classes) from the class token, (B, num_classes) from the distillation token)."""
        return self.fc(self.drop(x[:, 0])), self.fc_dist(self.drop(x[:, 1]))

    def forward(self, x: Tensor, key_padding_mask: Tensor | None = None) -> Tensor:
        """(B, N, D) (images: no padding) -> (B, num_classes), the two classifiers' mean."""
        cls, dist = self.forward_both(x)
        return (cls + dist) / 2
