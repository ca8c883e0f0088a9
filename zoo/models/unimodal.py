"""A model of one modality: front-end -> backbone -> head."""

from __future__ import annotations

from torch import Tensor, nn

from zoo.backbone import Transformer


class UnimodalModel(nn.Module):
    """``head(backbone(frontend(x)))``: raw input -> (B, N, D) tokens -> output.

    The same ``Transformer`` class serves every modality, so a backbone's weights
    (``backbone.*`` keys) move between image, text and audio models.

    Args:
        frontend: turns the raw input into (B, N, D) tokens; exposes ``num_prefix_tokens``.
        backbone: the shared Transformer.
        head: turns (B, N, D) tokens into the output.
    """

    def __init__(self, frontend: nn.Module, backbone: Transformer, head: nn.Module) -> None:
        super().__init__()
        if getattr(head, "pool", None) == "cls" and getattr(frontend, "num_prefix_tokens", 0) == 0:
            raise ValueError("head pools the cls token but the front-end adds none; set cls_token: true or pool: mean")
        self.frontend = frontend
        self.backbone = backbone
        self.head = head

    def forward_features(self, x: Tensor) -> Tensor:
        """Raw input -> (B, N, D) backbone tokens."""
        return self.backbone(self.frontend(x))

    def forward_head(self, tokens: Tensor) -> Tensor:
        """(B, N, D) tokens -> head output, e.g. (B, num_classes) logits."""
        return self.head(tokens)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_head(self.forward_features(x))

    def attention_maps(self, x: Tensor) -> list[Tensor]:
        """Per-block (B, H, N, N) attention weights for input ``x``."""
        return self.backbone.attention_maps(self.frontend(x))
