"""Language-modelling head: tokens to next-token (GPT) or masked-token (BERT) logits."""

from __future__ import annotations

from torch import Tensor, nn

from zoo.errors import ZooError


class LMHead(nn.Module):
    """(B, N, D) tokens -> (B, N, V) logits over the vocabulary.

    The output projection can share its (V, D) weight with the front-end's token embedding
    (``tie_to``; Press & Wolf 2017), as BERT and GPT-2 do: the model that holds both ties
    them. BERT adds a dense + GELU + LayerNorm transform before it (``transform=True``);
    GPT-2 projects the backbone's final-normed tokens directly.

    Args:
        embed_dim: token width D.
        vocab_size: number of token ids V.
        transform: BERT's dense + GELU + LayerNorm before the projection.
        bias: a per-token output bias.
        tie_weights: ask the model to share the projection with its token embedding.
    """

    def __init__(
        self,
        embed_dim: int,
        vocab_size: int,
        transform: bool = False,
        bias: bool = True,
        tie_weights: bool = True,
    ) -> None:
        super().__init__()
        self.tie_weights = tie_weights
        self.transform = (
            nn.Sequential(nn.Linear(embed_dim, embed_dim), nn.GELU(), nn.LayerNorm(embed_dim))
            if transform
            else nn.Identity()
        )
        self.decoder = nn.Linear(embed_dim, vocab_size, bias=bias)
        nn.init.trunc_normal_(self.decoder.weight, std=0.02)
        if bias:
            nn.init.zeros_(self.decoder.bias)

    @property
    def vocab_size(self) -> int:
        return self.decoder.out_features

    @property
    def tokens_read(self) -> None:
        """Every position gets logits: None (all tokens)."""
        return None

    def check_prefix_tokens(self, num_prefix_tokens: int) -> None:
        """Any front-end fits: a class token gets logits like every other position."""

    def tie_to(self, embedding: nn.Embedding) -> None:
        """Share the (V, D) projection weight with ``embedding`` (one tensor, two names)."""
        if embedding.weight.shape != self.decoder.weight.shape:
            raise ZooError(
                f"cannot tie the LM head {tuple(self.decoder.weight.shape)} to a token embedding "
                f"{tuple(embedding.weight.shape)}; give both the same vocab_size and embed_dim"
            )
        self.decoder.weight = embedding.weight

    def forward(self, x: Tensor, key_padding_mask: Tensor | None = None) -> Tensor:
        """(B, N, D) -> (B, N, V); the padding mask is unused (every position gets logits)."""
        return self.decoder(self.transform(x))
