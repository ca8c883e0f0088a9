"""Contrastive losses of VATT: NCE between two modalities, MIL-NCE when one has several positives.

Gutmann & Hyvarinen 2010 (NCE); Miech et al., "End-to-End Learning of Visual Representations
from Uncurated Instructional Videos", 2020, https://arxiv.org/abs/1912.06430 (MIL-NCE: a clip's
neighbouring captions are all positives); Akbari et al., "VATT", 2021 (section 3.4: NCE for
video-audio, MIL-NCE for video-text, temperature 0.07, both directions).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def symmetric_nce(
    a: Tensor,
    b: Tensor,
    temperature: Tensor | float,
    a_present: Tensor | None = None,
    b_present: Tensor | None = None,
    a_all: Tensor | None = None,
    b_all: Tensor | None = None,
    a_present_all: Tensor | None = None,
    b_present_all: Tensor | None = None,
) -> Tensor:
    """(B, Na, d) and (B, Nb, d) embeddings of B examples -> the scalar MIL-NCE loss, both ways.

    Row i's positives are its Na x Nb pairs (Na = Nb = 1: plain NCE); its negatives are every
    pair with another example of the gallery, ``a_all`` / ``b_all`` (B_all, N, d): the examples
    of every process under DDP, this process's included (default: this batch). Embeddings are
    L2-normalised here. For a -> b:

        loss_i = logsumexp_{c, m, n} <a_im, b_cn> / t  -  logsumexp_{m, n} <a_im, b_in> / t

    and b -> a alike; the loss is their sum, averaged over the rows that have both modalities.
    A row that lacks one (``*_present`` False, (B,) bool) is no anchor and, in the gallery, no
    negative. With no such row the loss is 0, still connected to the embeddings, so every
    parameter gets a gradient on every process (DDP needs no ``find_unused_parameters``).
    """
    with torch.autocast(a.device.type, enabled=False):  # similarities / 0.07 need float32's precision
        return _symmetric_nce(a, b, temperature, a_present, b_present, a_all, b_all, a_present_all, b_present_all)


def _symmetric_nce(a, b, temperature, a_present, b_present, a_all, b_all, a_present_all, b_present_all) -> Tensor:
    a, b = F.normalize(a.float(), dim=-1), F.normalize(b.float(), dim=-1)
    a_all = a if a_all is None else F.normalize(a_all.float(), dim=-1)
    b_all = b if b_all is None else F.normalize(b_all.float(), dim=-1)
    B = len(a)
    ones = torch.ones(B, dtype=torch.bool, device=a.device)
    a_present = ones if a_present is None else a_present
    b_present = ones if b_present is None else b_present
    if a_present_all is None:  # this batch's rows, or every gathered row
        a_present_all = a_present if a_all is a else torch.ones(len(a_all), dtype=torch.bool, device=a.device)
    if b_present_all is None:
        b_present_all = b_present if b_all is b else torch.ones(len(b_all), dtype=torch.bool, device=a.device)
    gallery = a_present_all & b_present_all  # (B_all,): rows that can be negatives
    positives = torch.einsum("imd,ind->imn", a, b).flatten(1) / temperature  # (B, Na * Nb)
    a_to_b = torch.einsum("imd,cnd->icmn", a, b_all) / temperature  # (B, B_all, Na, Nb)
    b_to_a = torch.einsum("ind,cmd->icnm", b, a_all) / temperature  # (B, B_all, Nb, Na)
    hide = ~gallery[None, :, None, None]
    a_to_b, b_to_a = a_to_b.masked_fill(hide, float("-inf")), b_to_a.masked_fill(hide, float("-inf"))
    log_positive = positives.logsumexp(dim=1)  # (B,)
    loss = a_to_b.flatten(1).logsumexp(dim=1) + b_to_a.flatten(1).logsumexp(dim=1) - 2 * log_positive
    valid = a_present & b_present
    loss = torch.where(valid, loss, torch.zeros_like(loss))  # a missing row's -inf and nan drop out
    return loss.sum() / valid.sum().clamp(min=1)
