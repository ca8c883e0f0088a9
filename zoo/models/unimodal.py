"""A model of one modality: front-end -> backbone -> head."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from zoo.backbone import Transformer
from zoo.contracts import Classifier, FrontEnd, Head, TiedHead, TokenFrontEnd
from zoo.errors import ZooError


class UnimodalModel(nn.Module):
    """``head(backbone(frontend(x)))``: raw input -> (B, N, D) tokens -> output.

    The same ``Transformer`` class serves every modality, so a backbone's weights
    (``backbone.*`` keys) move between image, text and audio models. With a classifier head
    it has timm's classifier surface (``num_classes``, ``get_classifier``, ``reset_classifier``);
    with an ``LMHead`` it is a (masked) language model and ``num_classes`` is None.

    Args:
        frontend: a ``zoo.contracts.FrontEnd``: raw input -> (B, N, D) tokens, its padding
            mask and its class tokens (``num_prefix_tokens``).
        backbone: the shared Transformer.
        head: a ``zoo.contracts.Head``: (B, N, D) tokens -> the output.
    """

    causal = False  # each token attends to those before it only (CausalLM)

    def __init__(self, frontend: nn.Module, backbone: Transformer, head: nn.Module) -> None:
        super().__init__()
        _check_parts(frontend, head)
        head.check_prefix_tokens(frontend.num_prefix_tokens)
        self.frontend = frontend
        self.backbone = backbone
        self.head = head
        if isinstance(head, TiedHead) and head.tie_weights:
            if not isinstance(frontend, TokenFrontEnd):
                raise ZooError(f"the head ties its weights to a token embedding, which {type(frontend).__name__} lacks")
            head.tie_to(frontend.get_input_embeddings())  # e.g. LMHead and TokenEmbed share the (V, D) matrix

    @property
    def num_classes(self) -> int | None:
        """The classifier head's classes; None for a language-model head."""
        return self.head.num_classes if isinstance(self.head, Classifier) else None

    def get_classifier(self) -> nn.Module:
        """The head's final (num_classes, D) linear layer, ``head.fc``."""
        return self._classifier_head().get_classifier()

    def reset_classifier(self, num_classes: int) -> None:
        """A fresh ``head.fc`` of ``num_classes`` outputs; everything else is kept."""
        self._classifier_head().reset_classifier(num_classes)

    def _classifier_head(self) -> Classifier:
        if not isinstance(self.head, Classifier):
            raise ZooError(f"the model's head is a {type(self.head).__name__}, not a classifier; it has no classes")
        return self.head

    def padding_mask(self, x: Tensor) -> Tensor | None:
        """(B, N) bool, True = padding, for inputs whose front-end knows it (pad ids, zero-padded
        waveforms); else None."""
        return self.frontend.padding_mask(x)

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
        n = self.head.tokens_read
        tokens = self.backbone(self.frontend(x), key_padding_mask, causal=self.causal, num_outputs=n)
        if n is not None and key_padding_mask is not None:
            key_padding_mask = key_padding_mask[:, :n]
        return self.forward_head(tokens, key_padding_mask)

    def forward_intermediates(
        self,
        x: Tensor,
        indices: int | Sequence[int] | None = None,
        return_attention: bool = False,
        key_padding_mask: Tensor | None = None,
    ) -> tuple[Tensor, list[Tensor]] | tuple[Tensor, list[Tensor], list[Tensor]]:
        """Raw input -> (final (B, N, D) tokens, the chosen blocks' (B, N, D) outputs[, their
        (B, H, N, N) attention weights]) in one pass; see ``Transformer.forward_intermediates``.

        As in timm, the final tokens are ``forward_features(x)``: ``forward_head`` of them gives
        the output. The padding mask defaults to the front-end's; ``frontend.patch_grid(x)``
        says how the tokens after the class token lie on the input, for maps.
        """
        if key_padding_mask is None:
            key_padding_mask = self.padding_mask(x)
        tokens = self.frontend(x)
        return self.backbone.forward_intermediates(tokens, indices, return_attention, key_padding_mask, self.causal)

    def layer_groups(self) -> list[nn.Module]:
        """Everything before the head, input to output: front-end, each block, final norm."""
        return [self.frontend, *self.backbone.blocks, self.backbone.norm]


def _check_parts(frontend: nn.Module, head: nn.Module) -> None:
    """One line naming the contract a part does not meet."""
    if not isinstance(frontend, FrontEnd):
        raise ZooError(
            f"{type(frontend).__name__} is not a front-end: it needs num_prefix_tokens, padding_mask(x) "
            "and patch_grid(x) (see zoo.contracts.FrontEnd)"
        )
    if not isinstance(head, Head):
        raise ZooError(
            f"{type(head).__name__} is not a head: it needs tokens_read and check_prefix_tokens(n) "
            "(see zoo.contracts.Head)"
        )
