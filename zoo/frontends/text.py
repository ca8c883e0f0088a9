"""Text front-end: token ids to embeddings with positions (the 2017 paper, BERT, GPT-2).

Vaswani et al., "Attention Is All You Need", 2017, https://arxiv.org/abs/1706.03762 (3.4: the
embedding is multiplied by sqrt(D); 3.5: sinusoidal positions)
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

from zoo.errors import ZooError
from zoo.frontends.position import sinusoidal_encoding


def check_ids(ids: Tensor, vocab_size: int) -> None:
    """Token ids must be integers below ``vocab_size``: a model built for a smaller vocabulary
    than its tokenizer's fails here with one line, not deep inside an embedding lookup."""
    if ids.dtype not in (torch.int64, torch.int32):
        raise ZooError(f"a text model takes integer token ids, got {ids.dtype}; tokenize the text first")
    if ids.numel() and int(ids.max()) >= vocab_size:
        raise ZooError(
            f"token id {int(ids.max())} is outside the model's vocab_size {vocab_size}; "
            "give the model the tokenizer's vocabulary size"
        )


class TokenEmbed(nn.Module):
    """Token ids to tokens: (B, N) int64 -> (B, N, D).

    ``padding_mask(ids)`` gives the (B, N) bool mask (True = ``pad_id``) that the model
    passes to the backbone and the pooling head. Class tokens are not added here: a
    tokenizer that starts every text with [CLS] (BERT) makes ``cls_token=True`` true.

    Args:
        vocab_size: number of token ids V.
        embed_dim: token width D.
        max_len: the longest input (the context); positions beyond it do not exist.
        pad_id: the padding id (its embedding starts at zero and it is masked), or None when the
            inputs are never padded (a language model on fixed-length chunks).
        pos_embed: "sinusoidal" (the paper, no parameters), "learned" (BERT, GPT-2) or "none"
            (the backbone places tokens itself: retention rotates its queries and keys).
        scale: multiply the token embedding by sqrt(D), as the paper does.
        cls_token: the inputs start with a class token, pooled by ``ClassifierHead(pool="cls")``.
        drop: dropout on the summed embedding.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int,
        max_len: int = 512,
        pad_id: int | None = 0,
        pos_embed: Literal["sinusoidal", "learned", "none"] = "sinusoidal",
        scale: bool = True,
        cls_token: bool = False,
        drop: float = 0.0,
    ) -> None:
        super().__init__()
        self.vocab_size, self.max_len, self.pad_id = vocab_size, max_len, pad_id
        self.num_prefix_tokens = 1 if cls_token else 0
        self.scale = math.sqrt(embed_dim) if scale else 1.0
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        # std D^-1/2: the scaled embedding starts at unit variance, like the sinusoids
        nn.init.normal_(self.embedding.weight, std=embed_dim**-0.5 if scale else 0.02)
        if pad_id is not None:
            nn.init.zeros_(self.embedding.weight[pad_id])
        if pos_embed == "learned":
            self.pos_embed = nn.Parameter(torch.zeros(1, max_len, embed_dim))
            nn.init.trunc_normal_(self.pos_embed, std=0.02)
        elif pos_embed == "sinusoidal":
            self.register_buffer("pos_embed", sinusoidal_encoding(max_len, embed_dim)[None], persistent=False)
        elif pos_embed == "none":
            self.register_buffer("pos_embed", None)
        else:
            raise ZooError(f"pos_embed must be 'sinusoidal', 'learned' or 'none', got {pos_embed!r}")
        self.drop = nn.Dropout(drop)

    def no_weight_decay(self) -> set[str]:
        """Parameters the optimiser should not decay (see ``zoo.tasks.param_groups``)."""
        return {"pos_embed"}

    def extend_positions(self, trained: Tensor) -> Tensor:
        """Learned (1, N, D) positions of a shorter context -> (1, max_len, D): the trained ones
        repeated (Longformer's start for a longer context: Beltagy et al. 2020, 3.5: copying
        RoBERTa's 512 positions kept its local attention patterns, so the longer model starts
        close to the short one's loss); from 0 to N-1 they are the trained positions."""
        repeats = math.ceil(self.max_len / trained.shape[1])
        return trained.repeat(1, repeats, 1)[:, : self.max_len]

    def padding_mask(self, ids: Tensor) -> Tensor | None:
        """(B, N) ids -> (B, N) bool, True where ``ids == pad_id``; None without a pad id."""
        return None if self.pad_id is None else ids == self.pad_id

    def patch_grid(self, ids: Tensor) -> None:
        """Text tokens are a sequence, not a grid: None."""
        return

    def get_input_embeddings(self) -> nn.Embedding:
        """The (V, D) token embedding (an ``LMHead`` ties its projection to it)."""
        return self.embedding

    def forward(self, ids: Tensor, offset: int = 0) -> Tensor:
        """(B, N) ids at positions ``offset .. offset + N - 1`` -> (B, N, D)."""
        check_ids(ids, self.vocab_size)
        N = ids.shape[1]
        if offset + N > self.max_len:
            raise ZooError(
                f"input of {offset + N} tokens is longer than the model's context of {self.max_len}; shorten it"
            )
        x = self.embedding(ids) * self.scale
        if self.pos_embed is not None:
            x = x + self.pos_embed[:, offset : offset + N]
        return self.drop(x)
