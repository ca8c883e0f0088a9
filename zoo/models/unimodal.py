"""A model of one modality: front-end -> backbone -> head."""

from __future__ import annotations

from torch import Tensor, nn

from zoo.backbone import Transformer
from zoo.errors import ZooError


class UnimodalModel(nn.Module):
    """``head(backbone(frontend(x)))``: raw input -> (B, N, D) tokens -> output.

    The same ``Transformer`` class serves every modality, so a backbone's weights
    (``backbone.*`` keys) move between image, text and audio models.

    Args:
        frontend: turns the raw input into (B, N, D) tokens; exposes ``num_prefix_tokens``
            (class tokens it prepends).
        backbone: the shared Transformer.
        head: turns (B, N, D) tokens into the output.
    """

    classifier = "head"  # the submodule a new label set replaces
    causal = False  # each token attends to those before it only (CausalLM)

    def __init__(self, frontend: nn.Module, backbone: Transformer, head: nn.Module) -> None:
        super().__init__()
        _check_pooling(getattr(head, "pool", None), getattr(frontend, "num_prefix_tokens", 0))
        self.frontend = frontend
        self.backbone = backbone
        self.head = head
        if getattr(head, "tie_weights", False):
            if not isinstance(getattr(frontend, "embedding", None), nn.Embedding):
                raise ZooError(f"the head ties its weights to a token embedding, which {type(frontend).__name__} lacks")
            head.tie_to(frontend.embedding)  # e.g. LMHead and TokenEmbed share the (V, D) matrix

    def padding_mask(self, x: Tensor) -> Tensor | None:
        """(B, N) bool, True = padding, for inputs whose front-end knows it (pad ids, zero-padded
        waveforms); else None."""
        mask = getattr(self.frontend, "padding_mask", None)
        return mask(x) if mask is not None else None

    def forward_features(self, x: Tensor, key_padding_mask: Tensor | None = None) -> Tensor:
        """Raw input, optional (B, N) bool padding mask (True = pad) -> (B, N, D) tokens."""
        return self.backbone(self.frontend(x), key_padding_mask, causal=self.causal)

    def forward_head(self, tokens: Tensor, key_padding_mask: Tensor | None = None) -> Tensor:
        """(B, N, D) tokens -> head output, e.g. (B, num_classes) logits."""
        return self.head(tokens, key_padding_mask)

    def forward(self, x: Tensor, key_padding_mask: Tensor | None = None) -> Tensor:
        """Raw input -> head output; the padding mask defaults to the front-end's (pad ids).

        A head that reads only the first tokens (``tokens_read``: 1 for a cls-pooling
        classifier) gets just those: the last block computes no outputs nobody reads. The
        result equals ``forward_head(forward_features(x))``.
        """
        if key_padding_mask is None:
            key_padding_mask = self.padding_mask(x)
        n = getattr(self.head, "tokens_read", None)
        tokens = self.backbone(self.frontend(x), key_padding_mask, causal=self.causal, num_outputs=n)
        if n is not None and key_padding_mask is not None:
            key_padding_mask = key_padding_mask[:, :n]
        return self.forward_head(tokens, key_padding_mask)

    def layer_groups(self) -> list[nn.Module]:
        """Everything before the head, input to output: front-end, each block, final norm."""
        return [self.frontend, *self.backbone.blocks, self.backbone.norm]

    def attention_maps(self, x: Tensor, key_padding_mask: Tensor | None = None) -> list[Tensor]:
        """Per-block (B, H, N, N) attention weights for input ``x``."""
        if key_padding_mask is None:
            key_padding_mask = self.padding_mask(x)
        return self.backbone.attention_maps(self.frontend(x), key_padding_mask, causal=self.causal)


def _check_pooling(pool: str | None, num_prefix_tokens: int) -> None:
    if pool == "cls" and num_prefix_tokens == 0:
        raise ZooError("head pools the cls token but the front-end adds none; set cls_token: true or pool: mean")
    if pool == "mean" and num_prefix_tokens > 0:
        raise ZooError(
            "head mean-pools all tokens but the front-end adds a cls token; set cls_token: false or pool: cls"
        )
