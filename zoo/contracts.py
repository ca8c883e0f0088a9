"""The declared surfaces between the zoo's parts: what a front-end, a head and a model offer.

A capability is a method or a property named here, never an attribute probed with
``getattr``. Code that calls a capability just calls it; code that must tell whether an
object has one asks ``isinstance(obj, Protocol)`` of a ``runtime_checkable`` protocol below.

    raw input --FrontEnd--> (B, N, D) --Transformer--> (B, N, D) --Head--> output

Python 3.12 looks a runtime-checked protocol's members up with ``inspect.getattr_static``,
which does not see an ``nn.Module``'s submodules or parameters (they live in ``_modules``
and ``_parameters``): those protocols name methods, properties and plain attributes only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeGuard, runtime_checkable

from torch import Tensor, nn


@runtime_checkable
class FrontEnd(Protocol):
    """Raw input of one modality -> (B, N, D) tokens (``PatchEmbed``, ``TokenEmbed``,
    ``SpectrogramPatchEmbed``). Positions, class tokens and patching belong here."""

    @property
    def num_prefix_tokens(self) -> int:
        """Tokens put before the input's own: 0, 1 (a class token) or 2 (and a distillation token)."""

    def __call__(self, x: Tensor) -> Tensor:
        """Raw input -> (B, num_prefix_tokens + N, D) tokens."""

    def padding_mask(self, x: Tensor) -> Tensor | None:
        """(B, num_prefix_tokens + N) bool, True = a token made of padding (pad ids, zeros past a
        clip's end); None when the front-end knows of no padding in ``x``."""

    def patch_grid(self, x: Tensor) -> tuple[int, int] | None:
        """(rows, cols) of the tokens after the prefix, row-major, for maps over the input:
        ``N = num_prefix_tokens + rows * cols``. None when the tokens are a sequence (text)."""


@runtime_checkable
class PatchFrontEnd(FrontEnd, Protocol):
    """A front-end that cuts a 2-D input (an image, a spectrogram) into patches, whose values
    masked-patch pretraining predicts (``PatchEmbed``, ``SpectrogramPatchEmbed``)."""

    def patch_values(self, x: Tensor) -> Tensor:
        """Raw input -> (B, rows * cols, values per patch), in token order."""

    def embed_with_patch_values(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Raw input -> (the tokens, ``patch_values``) from one pass over the input, so a random
        input transform (SpecAugment) is drawn once for both."""


@runtime_checkable
class TokenFrontEnd(FrontEnd, Protocol):
    """A front-end that looks ids up in an embedding, which an LM head can share."""

    def get_input_embeddings(self) -> nn.Embedding:
        """The (V, D) token embedding."""


@runtime_checkable
class Head(Protocol):
    """(B, N, D) backbone tokens -> a task's output (``ClassifierHead``, ``LMHead``)."""

    @property
    def tokens_read(self) -> int | None:
        """How many leading tokens ``__call__`` reads (1: the class token), None for all. The
        backbone's last block computes outputs for those tokens only."""

    def check_prefix_tokens(self, num_prefix_tokens: int) -> None:
        """Raise ZooError when the head cannot read tokens behind ``num_prefix_tokens`` class
        tokens (cls pooling without one, mean pooling over one)."""

    def __call__(self, tokens: Tensor, key_padding_mask: Tensor | None = None) -> Tensor:
        """(B, N, D) tokens, (B, N) bool padding mask (True = pad) -> output."""


@runtime_checkable
class TiedHead(Protocol):
    """A head whose output projection may share the front-end's token embedding (``LMHead``)."""

    tie_weights: bool  # whether the model should tie them

    def tie_to(self, embedding: nn.Embedding) -> None:
        """Share the (V, D) projection weight with ``embedding``."""


@runtime_checkable
class Classifier(Protocol):
    """timm's classifier surface: a model (or head) ending in a linear layer over classes.

    ``reset_classifier`` puts a fresh, initialised layer of the new size in the same place
    (so its state-dict keys keep their names: ``head.fc.*``, ``fc.*``), on the same device
    and in the same dtype; every other tensor is left as it was.
    """

    @property
    def num_classes(self) -> int | None:
        """Output classes; None when this instance has no classifier (a ``UnimodalModel``
        whose head is an ``LMHead`` offers the surface but is a language model)."""

    def get_classifier(self) -> nn.Module:
        """The final layer over classes, e.g. an ``nn.Linear``."""

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the final layer by a freshly initialised one with ``num_classes`` outputs."""


def is_classifier(model: object) -> TypeGuard[Classifier]:
    """Whether ``model`` has a classifier to read or reset (see :class:`Classifier`)."""
    return isinstance(model, Classifier) and model.num_classes is not None


def classifier_name(model: nn.Module) -> str:
    """The qualified submodule name of a classifier's ``get_classifier()`` (``head.fc``, ``fc``):
    its state-dict keys start with it."""
    classifier = model.get_classifier()
    return next(name for name, module in model.named_modules() if module is classifier)


@runtime_checkable
class Model(Protocol):
    """Every model the zoo defines: inputs -> outputs, and its layers for freezing."""

    def __call__(self, x: Tensor) -> Tensor:
        """Raw input -> (B, num_classes) logits, or (B, N, V) for a language model."""

    def layer_groups(self) -> list[nn.Module]:
        """Everything before the classifier or output layer, input to output (for freezing
        and gradual unfreezing)."""


@runtime_checkable
class TransformerModel(Model, Protocol):
    """A model made of front-end, backbone and head (``UnimodalModel``, ``CausalLM``)."""

    def padding_mask(self, x: Tensor) -> Tensor | None:
        """The front-end's (B, N) padding mask for raw input ``x``."""

    def forward_features(self, x: Tensor, key_padding_mask: Tensor | None = None) -> Tensor:
        """Raw input -> (B, N, D) backbone tokens."""

    def forward_head(self, tokens: Tensor, key_padding_mask: Tensor | None = None) -> Tensor:
        """(B, N, D) tokens -> the head's output."""

    def forward_intermediates(
        self, x: Tensor, indices: int | Sequence[int] | None = None, return_attention: bool = False
    ) -> tuple[Tensor, list[Tensor]] | tuple[Tensor, list[Tensor], list[Tensor]]:
        """(final (B, N, D) tokens, chosen blocks' (B, N, D) outputs[, their (B, H, N, N)
        attention weights]) in one pass."""


@runtime_checkable
class AutoregressiveModel(Protocol):
    """What decoding (``zoo.generation``) needs: ``CausalLM`` and ``RNNLanguageModel`` are two."""

    @property
    def max_len(self) -> int | None:
        """The longest sequence the model accepts, or None when unbounded (an LSTM)."""

    def __call__(self, ids: Tensor) -> Tensor:
        """(B, N) ids -> (B, N, V) next-token logits, recomputed from scratch."""

    def init_state(self, batch_size: int, max_len: int) -> object:
        """An empty decoding state for ``batch_size`` sequences of up to ``max_len`` tokens."""

    def decode_step(self, ids: Tensor, state: object) -> Tensor:
        """(B, n) ids that follow what ``state`` has seen -> (B, n, V) logits; extends ``state``."""

    def reorder_state(self, state: object, index: Tensor) -> None:
        """Keep the sequences ``index`` (B',) of the batch, in that order."""


@runtime_checkable
class Seq2SeqModel(Protocol):
    """What translation (``zoo.generation.translate``, ``TranslationTask``) needs:
    ``EncoderDecoderModel`` and its LSTM twin ``RNNEncoderDecoder`` are two."""

    def __call__(self, source: Tensor, target: Tensor) -> Tensor:
        """(B, S) source ids, (B, T) target ids (starting with BOS) -> (B, T, V) logits."""

    def source_lengths(self, source: Tensor) -> Tensor:
        """(B, S) right-padded source ids -> (B,) their real lengths."""

    def condition(self, source: Tensor) -> AutoregressiveModel:
        """The model with the (B, S) sources encoded once: an ``AutoregressiveModel`` over
        targets, row ``i`` of a (B * k, N) call reading source ``i // k`` (beam search's layout)."""

    def alignment(self, source: Tensor, target: Tensor) -> Tensor:
        """(B, S) source ids, (B, T) target ids -> (B, T, S) cross-attention weights, each row
        summing to 1 over the real source tokens: which source token each target position read."""


@runtime_checkable
class NoWeightDecay(Protocol):
    """A module that names parameters the optimiser must not decay (see ``zoo.tasks.param_groups``)."""

    def no_weight_decay(self) -> set[str]:
        """Parameter names, relative to the module: position embeddings, class tokens."""


@runtime_checkable
class ZeroShotData(Protocol):
    """A datamodule whose classes can be named in text, for zero-shot classification
    (``zoo.tasks.contrastive``)."""

    def class_prompt_ids(self) -> Tensor:
        """(C, M, N) token ids: M held-out prompts for each of the C classes, padded."""
