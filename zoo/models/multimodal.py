"""Several modalities, one backbone: per-modality front-ends and heads around a shared
Transformer (VATT's modality-agnostic model), or a Transformer per modality (its
modality-specific one).

Akbari et al., "VATT", 2021, https://arxiv.org/abs/2104.11178. The composition follows
torchtune's fusion models: the parts are passed in as dicts keyed by modality.

    video (B, C, T, H, W) --TubeletEmbed-------+                       +--FineToCoarseHead--> va, vt
    audio (B, T)          --WaveformPatchEmbed--+--Transformer ([AGG])--+--ProjectionHead----> va
    text  (B, N) ids      --TokenEmbed ([CLS])--+                       +--ProjectionHead----> vt
"""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor, nn

from zoo.backbone import Transformer
from zoo.contracts import FrontEnd, TokenFrontEnd
from zoo.errors import ZooError
from zoo.frontends.drop_token import DropToken


class EmbedsModalities:
    """What a multimodal model offers: ``encode`` one modality to (B, D) pooled features, and
    from it ``embed`` (the head's embeddings) and ``forward`` (every modality of a batch).
    Subclasses define ``encode`` and an ``nn.ModuleDict`` of ``heads``. List it before nn.Module."""

    heads: nn.ModuleDict

    @property
    def modalities(self) -> tuple[str, ...]:
        """The modalities the model reads, e.g. ("video", "audio", "text")."""
        return tuple(self.heads)

    @property
    def spaces(self) -> dict[str, dict[str, int]]:
        """{modality: {space: width}}: where each modality's embeddings live."""
        return {name: dict(head.spaces) for name, head in self.heads.items()}

    def encode(self, modality: str, x: Tensor) -> Tensor:
        """One modality's raw input -> (B, D) pooled features."""
        raise NotImplementedError

    def embed(self, modality: str, x: Tensor) -> dict[str, Tensor]:
        """One modality's raw input -> {space: (B, d_space)} embeddings (not normalised)."""
        if modality not in self.heads:
            raise ZooError(f"this model reads {', '.join(self.heads)}, not {modality!r}")
        return self.heads[modality](self.encode(modality, x))

    def forward(self, inputs: Mapping[str, Tensor]) -> dict[str, dict[str, Tensor]]:
        """{modality: raw input} -> {modality: {space: (B, d_space)}} for the modalities given."""
        unknown = set(inputs) - set(self.heads)
        if unknown:
            raise ZooError(f"this model reads {', '.join(self.heads)}; it has no {', '.join(sorted(unknown))}")
        return {name: self.embed(name, x) for name, x in inputs.items()}


class MultimodalModel(EmbedsModalities, nn.Module):
    """{modality: raw input} -> {modality: {space: (B, d)}}: each modality's front-end, the
    backbone, the output at its [AGG] token, its head.

    Only the backbone is shared: front-ends (with their positions and [AGG] tokens) and heads
    stay per modality. Passing one ``Transformer`` shares it (state-dict keys ``backbone.*``,
    the same names as every unimodal model's, so a ViT, AST or BERT backbone loads into it);
    passing ``{modality: Transformer}`` gives each its own (keys ``backbone.<modality>.*``).

    Args:
        frontends: {modality: front-end}, each with an [AGG]/class token first
            (``num_prefix_tokens >= 1``).
        backbone: one Transformer for all, or {modality: Transformer}.
        heads: {modality: projection head}: (B, D) -> {space: (B, d)}.
        token_keep: {modality: share of tokens kept in training} (DropToken; VATT keeps 0.5 of
            the video and audio tokens); never for text, whose every token carries meaning.
    """

    def __init__(
        self,
        frontends: dict[str, nn.Module],
        backbone: Transformer | dict[str, Transformer],
        heads: dict[str, nn.Module],
        token_keep: dict[str, float] | None = None,
    ) -> None:
        super().__init__()
        _check_parts(frontends, backbone, heads, token_keep or {})
        self.frontends = nn.ModuleDict(frontends)
        self.backbone = nn.ModuleDict(backbone) if isinstance(backbone, dict) else backbone
        self.heads = nn.ModuleDict(heads)
        self.drop_tokens = nn.ModuleDict({name: DropToken(keep) for name, keep in (token_keep or {}).items()})

    @property
    def shares_backbone(self) -> bool:
        """Whether one Transformer serves every modality (VATT's modality-agnostic model)."""
        return isinstance(self.backbone, Transformer)

    def backbone_for(self, modality: str) -> Transformer:
        """The Transformer that reads ``modality``'s tokens."""
        return self.backbone if self.shares_backbone else self.backbone[modality]

    def forward_tokens(self, modality: str, x: Tensor) -> tuple[Tensor, Tensor | None]:
        """Raw input -> its front-end's (B, P + N, D) tokens and (B, P + N) padding mask, after
        DropToken in training."""
        frontend = self.frontends[modality]
        tokens, mask = frontend(x), frontend.padding_mask(x)
        if modality in self.drop_tokens:
            tokens, mask = self.drop_tokens[modality](tokens, frontend.num_prefix_tokens, mask)
        return tokens, mask

    def encode(self, modality: str, x: Tensor) -> Tensor:
        """Raw input -> (B, D): the backbone's output at the [AGG] token (its last block computes
        that token's output alone)."""
        if modality not in self.frontends:
            raise ZooError(f"this model reads {', '.join(self.frontends)}, not {modality!r}")
        tokens, mask = self.forward_tokens(modality, x)
        return self.backbone_for(modality)(tokens, mask, num_outputs=1)[:, 0]

    def layer_groups(self) -> list[nn.Module]:
        """Everything before the heads, input to output: front-ends, then each block, final norm(s)."""
        backbones = [self.backbone] if self.shares_backbone else list(self.backbone.values())
        groups: list[nn.Module] = [self.frontends]
        for depth in range(len(backbones[0].blocks)):
            groups.append(nn.ModuleList(b.blocks[depth] for b in backbones))
        return [*groups, nn.ModuleList(b.norm for b in backbones)]


class MultimodalEncoders(EmbedsModalities, nn.Module):
    """The non-Transformer twin of :class:`MultimodalModel`: {modality: raw input} -> {modality:
    {space: (B, d)}} through one encoder per modality (a video CNN, the log-mel CNN, an LSTM) and
    the same heads, so the same task, data and metrics serve both.

    Args:
        encoders: {modality: a model mapping raw input to (B, D) features}; a baseline
            classifier built with ``num_classes=D`` is one (its last layer projects to D).
        heads: {modality: projection head}: (B, D) -> {space: (B, d)}.
    """

    def __init__(self, encoders: dict[str, nn.Module], heads: dict[str, nn.Module]) -> None:
        super().__init__()
        if not encoders or set(encoders) != set(heads):
            raise ZooError(
                f"encoders ({', '.join(encoders)}) and heads ({', '.join(heads)}) must name the same modalities"
            )
        self.encoders = nn.ModuleDict(encoders)
        self.heads = nn.ModuleDict(heads)

    def encode(self, modality: str, x: Tensor) -> Tensor:
        """Raw input -> (B, D) features of the modality's encoder."""
        if modality not in self.encoders:
            raise ZooError(f"this model reads {', '.join(self.encoders)}, not {modality!r}")
        return self.encoders[modality](x)

    def layer_groups(self) -> list[nn.Module]:
        """The encoders, one group (they have no common depth to align)."""
        return [self.encoders]


def _check_parts(
    frontends: dict[str, nn.Module],
    backbone: Transformer | dict[str, Transformer],
    heads: dict[str, nn.Module],
    token_keep: dict[str, float],
) -> None:
    """One line naming the first mismatch between the parts' modalities and contracts."""
    if not frontends or set(frontends) != set(heads):
        raise ZooError(
            f"front-ends ({', '.join(frontends)}) and heads ({', '.join(heads)}) must name the same modalities"
        )
    if isinstance(backbone, dict) and set(backbone) != set(frontends):
        raise ZooError(
            f"a backbone per modality needs one for each of {', '.join(frontends)}; got {', '.join(backbone)}"
        )
    for name, frontend in frontends.items():
        if not isinstance(frontend, FrontEnd):
            raise ZooError(
                f"the {name} front-end {type(frontend).__name__} is not a front-end (see zoo.contracts.FrontEnd)"
            )
        if frontend.num_prefix_tokens < 1:
            raise ZooError(f"the {name} front-end needs an [AGG]/class token for the head to read; turn it on")
    for name in token_keep:
        if name not in frontends:
            raise ZooError(f"token_keep names {name!r}, which is not one of {', '.join(frontends)}")
        if isinstance(frontends[name], TokenFrontEnd):
            raise ZooError(f"DropToken is for video and audio tokens; every {name} token carries meaning")
