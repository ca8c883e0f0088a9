"""Masked-autoencoder head: the encoded visible patches -> the values of every patch (MAE).

He et al., "Masked Autoencoders Are Scalable Vision Learners", 2021,
https://arxiv.org/abs/2111.06377 (Sec. 3): the encoder sees only the visible patches; a light
decoder gets them back in place, with a shared learned mask token at every masked position
and fixed 2-D sin-cos positions, and predicts each patch's values. Spectrogram patches the
same way (Huang et al., "Masked Autoencoders that Listen", 2022). The decoder is the zoo's
own ``Transformer``, narrower and shallower than the encoder; it is dropped for fine-tuning.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from zoo.backbone.transformer import Transformer
from zoo.frontends.position import sincos_2d


class MaskedPatchDecoder(nn.Module):
    """(B, P + K, D) encoder tokens of P prefix and K visible patches -> (B, N, patch_dim).

    Args:
        embed_dim: the encoder's token width D.
        patch_dim: values per patch (channels x patch height x patch width), the target's width.
        decoder_dim: the decoder's width.
        depth, num_heads, mlp_ratio: the decoder ``Transformer``'s.
    """

    tokens_read = None  # every token

    def __init__(
        self, embed_dim: int, patch_dim: int, decoder_dim: int = 128, depth: int = 2, num_heads: int = 4,
        mlp_ratio: float = 4.0,
    ) -> None:  # fmt: skip
        super().__init__()
        self.embed_dim, self.patch_dim = embed_dim, patch_dim
        self.embed = nn.Linear(embed_dim, decoder_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_dim))
        self.decoder = Transformer(decoder_dim, depth, num_heads, mlp_ratio)
        self.pred = nn.Linear(decoder_dim, patch_dim)
        nn.init.normal_(self.mask_token, std=0.02)

    def check_prefix_tokens(self, num_prefix_tokens: int) -> None:
        """Any front-end fits: prefix tokens pass through the decoder unpredicted."""

    def no_weight_decay(self) -> set[str]:
        return {"mask_token"}

    def forward(
        self,
        tokens: Tensor,
        key_padding_mask: Tensor | None = None,
        *,
        restore: Tensor,
        grid: tuple[int, int],
        num_prefix_tokens: int,
    ) -> Tensor:
        """Predict every patch.

        Args:
            tokens: (B, P + K, D) the encoder's output: P prefix tokens, then the K visible
                patches in the order they were kept.
            key_padding_mask: (B, P + N) bool over the whole sequence (True = padding), or None.
            restore: (B, N) for each patch position n, where patch n sits in the sequence
                "visible patches, then masked ones" (``argsort`` of the keep order).
            grid: (rows, cols) of the N = rows * cols patches, row-major.
            num_prefix_tokens: P.

        Returns:
            (B, N, patch_dim) predicted values of every patch, in patch order.
        """
        x = self.embed(tokens)
        prefix, visible = x[:, :num_prefix_tokens], x[:, num_prefix_tokens:]
        B, K, E = visible.shape
        N = restore.shape[1]
        patches = torch.cat([visible, self.mask_token.expand(B, N - K, -1).to(visible.dtype)], dim=1)
        patches = torch.gather(patches, 1, restore[..., None].expand(-1, -1, E))  # back in patch order
        patches = patches + sincos_2d(*grid, E).to(patches)[None]
        out = self.decoder(torch.cat([prefix, patches], dim=1), key_padding_mask)
        return self.pred(out[:, num_prefix_tokens:])
