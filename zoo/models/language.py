"""A causal language model (GPT): the shared backbone with a causal mask, and cached decoding.

Radford et al., "Language Models are Unsupervised Multitask Learners" (GPT-2), 2019.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from zoo.backbone import KVCache, Transformer
from zoo.heads.lm import LMHead
from zoo.models.unimodal import UnimodalModel


class CausalLM(UnimodalModel):
    """``head(backbone(frontend(ids), causal=True))``: (B, N) ids -> (B, N, V) next-token logits.

    Position i sees ids 0..i only. For generation (``zoo.generation``), ``init_state`` makes
    one key/value cache per block and ``decode_step`` feeds new ids through the cache, so
    each new token attends over the cached keys in O(n) instead of recomputing the prefix.

    Args:
        frontend: ``TokenEmbed`` (its ``max_len`` is the context).
        backbone: the shared Transformer.
        head: ``LMHead``, usually tied to the token embedding.
    """

    causal = True

    def __init__(self, frontend: nn.Module, backbone: Transformer, head: LMHead) -> None:
        super().__init__(frontend, backbone, head)  # the signature says which modules fit

    @property
    def max_len(self) -> int:
        return self.frontend.max_len

    @property
    def vocab_size(self) -> int:
        return self.head.vocab_size

    def init_state(self, batch_size: int, max_len: int | None = None) -> list[KVCache]:
        """Empty key/value caches (one per block) for ``batch_size`` sequences of up to ``max_len``.

        Under autocast the cache holds the autocast dtype (the keys and values attention
        sees), not the parameters' float32: half the bytes to write and reorder each step.
        """
        weight = next(self.parameters())
        device = weight.device.type
        dtype = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else weight.dtype
        return self.backbone.make_kv_caches(batch_size, max_len or self.max_len, dtype)

    def decode_step(self, ids: Tensor, state: list[KVCache]) -> Tensor:
        """(B, n) new ids after the ``state[0].length`` cached ones -> (B, n, V) logits; extends the caches."""
        tokens = self.frontend(ids, offset=state[0].length)
        return self.head(self.backbone(tokens, causal=True, kv_caches=state))

    def reorder_state(self, state: list[KVCache], index: Tensor) -> None:
        """Keep cached sequences ``index`` (B',), in that order (beam search)."""
        for cache in state:
            cache.reorder(index)
