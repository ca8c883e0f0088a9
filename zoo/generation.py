"""Decoding from autoregressive models: greedy search, sampling and beam search.

- Top-k sampling: Fan et al., "Hierarchical Neural Story Generation", 2018, https://arxiv.org/abs/1805.04833
- Nucleus (top-p) sampling: Holtzman et al., "The Curious Case of Neural Text Degeneration", 2019,
  https://arxiv.org/abs/1904.09751
- Beam search with a length penalty: Wu et al., "Google's Neural Machine Translation System", 2016,
  https://arxiv.org/abs/1609.08144. GNMT divides a hypothesis' log-probability by ((5 + |Y|) / 6)**alpha;
  like Hugging Face transformers, we divide by |Y|**length_penalty, |Y| the generated tokens (eos included).

Every strategy feeds the prompt once through the model's decoding state (a key/value cache for
``CausalLM``) and then one new token a step, so a token costs O(n). With ``use_cache=False`` each
step instead runs the model on the whole sequence and keeps the last position (O(n^2)): the
reference path. Both go through the same selection code, so they choose the same tokens.

An encoder-decoder model (a ``Seq2SeqModel``) decodes through the same functions:
``translate`` encodes the sources once with ``model.condition(source)``, an
``AutoregressiveModel`` over targets whose state also holds what the decoder reads of the
sources, projected once (each decoder block's cross-attention keys and values for
``zoo.models.encoder_decoder.SourceConditioned``, the attention keys for the LSTM twin's).

Decoding runs under ``torch.inference_mode``: the ids it returns are inference tensors, so
``.clone()`` them before feeding them to a model that records gradients.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.contracts import AutoregressiveModel, Seq2SeqModel
from zoo.errors import ZooError


def generate(
    model: AutoregressiveModel,
    prompt: Tensor,
    max_new_tokens: int,
    *,
    strategy: Literal["greedy", "sample", "beam"] = "greedy",
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    num_beams: int = 4,
    length_penalty: float = 1.0,
    eos_id: int | None = None,
    use_cache: bool = True,
    generator: torch.Generator | None = None,
) -> Tensor:
    """(B, P) prompt ids -> (B, P + new) ids by ``greedy``, ``sample`` or ``beam_search``.

    Arguments that the chosen strategy does not use are ignored; see the three functions.
    """
    if strategy == "greedy":
        return greedy(model, prompt, max_new_tokens, eos_id=eos_id, use_cache=use_cache)
    if strategy == "sample":
        return sample(
            model,
            prompt,
            max_new_tokens,
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            eos_id=eos_id,
            use_cache=use_cache,
            generator=generator,
        )
    if strategy == "beam":
        return beam_search(
            model,
            prompt,
            max_new_tokens,
            num_beams=num_beams,
            length_penalty=length_penalty,
            eos_id=eos_id,
            use_cache=use_cache,
        )
    raise ZooError(f"strategy must be 'greedy', 'sample' or 'beam', got {strategy!r}")


@torch.inference_mode()
def translate(
    model: Seq2SeqModel,
    source: Tensor,
    *,
    bos_id: int,
    eos_id: int | None,
    strategy: Literal["greedy", "beam"] = "beam",
    num_beams: int = 4,
    length_penalty: float = 1.0,
    max_len_a: float = 1.5,
    max_len_b: int = 10,
    use_cache: bool = True,
) -> Tensor:
    """(B, S) source ids, padded with the source front-end's pad id -> (B, 1 + L) target ids:
    ``bos_id``, then the decoded tokens, rows padded with ``eos_id`` after their own.

    The encoder runs once for the batch. At most ``max_len_a * S + max_len_b`` tokens are
    decoded, S the longest source's real length (fairseq's ``--max-len-a/--max-len-b``), and
    never past the target front-end's context.

    Length penalty (beam search): a finished hypothesis is ranked by its summed
    log-probability divided by ``|Y| ** length_penalty``, |Y| its tokens after BOS, EOS
    included. Log-probabilities are negative, so dividing by a larger number raises the score:
    ``length_penalty > 0`` favours LONGER translations, ``0`` ranks by raw log-probability
    (which favours short ones), ``< 0`` favours shorter ones still. This is Hugging Face's
    convention (fairseq's ``--lenpen`` is the same exponent); GNMT's ((5 + |Y|) / 6) ** alpha
    differs in scale, not in direction.

    Args:
        model: a ``Seq2SeqModel`` (``EncoderDecoderModel``, ``RNNEncoderDecoder``), in
            whatever train/eval mode it is in.
        source: (B, S) int64 ids.
        bos_id, eos_id: the target's begin- and end-of-sequence ids (``eos_id=None``: decode
            every row to the limit, as a benchmark does).
        strategy: "greedy" or "beam".
        num_beams, length_penalty: beam search's (see ``beam_search``).
        max_len_a, max_len_b: the length limit relative to the source.
        use_cache: decode through the caches; False recomputes every step (the reference path).
    """
    if source.dim() != 2 or source.numel() == 0:
        raise ZooError(f"source must be (B, S) token ids with B, S >= 1, got shape {tuple(source.shape)}")
    max_new_tokens = int(max_len_a * int(model.source_lengths(source).max()) + max_len_b)
    prompt = torch.full((source.shape[0], 1), bos_id, dtype=torch.long, device=source.device)
    conditioned = model.condition(source)
    if strategy == "greedy":
        return greedy(conditioned, prompt, max_new_tokens, eos_id=eos_id, use_cache=use_cache)
    if strategy == "beam":
        return beam_search(conditioned, prompt, max_new_tokens, num_beams=num_beams, length_penalty=length_penalty,
                           eos_id=eos_id, use_cache=use_cache)  # fmt: skip
    raise ZooError(f"strategy must be 'greedy' or 'beam' for translation, got {strategy!r}")


@torch.inference_mode()
def greedy(
    model: AutoregressiveModel,
    prompt: Tensor,
    max_new_tokens: int,
    *,
    eos_id: int | None = None,
    use_cache: bool = True,
) -> Tensor:
    """(B, P) prompt ids -> (B, P + new) ids, appending the most likely token each step.

    Generation stops after ``max_new_tokens``, once every row has produced ``eos_id`` (a row
    that has finished keeps emitting ``eos_id``), or when the sequence fills the model's
    context (P + new == ``model.max_len``), so the result can be scored by ``model(ids)``.

    Args:
        model: an ``AutoregressiveModel``, in whatever train/eval mode it is in.
        prompt: (B, P) int64 ids, P >= 1.
        max_new_tokens: the most tokens to append.
        eos_id: the end-of-sequence id, or None to always run to the limit.
        use_cache: decode through the model's state (O(n) a token); False recomputes the
            whole sequence each step (O(n^2)), the reference path.
    """
    return _decode(model, prompt, max_new_tokens, lambda logits: logits.argmax(dim=-1), eos_id, use_cache)


@torch.inference_mode()
def sample(
    model: AutoregressiveModel,
    prompt: Tensor,
    max_new_tokens: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    eos_id: int | None = None,
    use_cache: bool = True,
    generator: torch.Generator | None = None,
) -> Tensor:
    """(B, P) prompt ids -> (B, P + new) ids, drawing each token from softmax(logits / temperature).

    The distribution is first cut to the ``top_k`` most likely tokens, then to the nucleus: the
    fewest most likely tokens whose probability reaches ``top_p``. Stopping is as in ``greedy``.

    Args:
        model, prompt, max_new_tokens, eos_id, use_cache: as in ``greedy``.
        temperature: > 0; below 1 sharpens the distribution, above 1 flattens it.
        top_k: keep this many most likely tokens (>= 1), or None for all.
        top_p: nucleus mass in (0, 1], or None for all.
        generator: the random source (on the model's device), for reproducible draws.
    """
    if temperature <= 0:
        raise ZooError(f"temperature must be > 0, got {temperature}; use greedy decoding for the most likely tokens")
    if top_k is not None and top_k < 1:
        raise ZooError(f"top_k must be >= 1 or None, got {top_k}")
    if top_p is not None and not 0 < top_p <= 1:
        raise ZooError(f"top_p must be in (0, 1] or None, got {top_p}")

    def pick(logits: Tensor) -> Tensor:
        probs = _filter_logits(logits / temperature, top_k, top_p).softmax(dim=-1)
        return torch.multinomial(probs, 1, generator=generator).squeeze(-1)

    return _decode(model, prompt, max_new_tokens, pick, eos_id, use_cache)


@torch.inference_mode()
def beam_search(
    model: AutoregressiveModel,
    prompt: Tensor,
    max_new_tokens: int,
    *,
    num_beams: int = 4,
    length_penalty: float = 1.0,
    eos_id: int | None = None,
    use_cache: bool = True,
) -> Tensor:
    """(B, P) prompt ids -> (B, P + new) ids: the best of ``num_beams`` hypotheses for each row.

    Each row keeps its ``num_beams`` live hypotheses with the highest summed log-probability.
    A hypothesis that ends in ``eos_id`` is finished and scored by its summed log-probability
    / |Y|**length_penalty (|Y| its generated tokens, eos included); a row stops once it holds
    ``num_beams`` finished ones and its best live hypothesis, scored at its current length,
    does not beat the worst of them (Hugging Face's rule: a heuristic, not a guarantee, when
    ``length_penalty > 0`` favours longer hypotheses). At the
    limit (``max_new_tokens`` or the model's context, as in ``greedy``) the live hypotheses
    compete too. Rows shorter than the longest best hypothesis are padded with ``eos_id``.

    Args:
        model, prompt, max_new_tokens, eos_id, use_cache: as in ``greedy``.
        num_beams: hypotheses kept per row (>= 1; 1 is greedy search); the model's vocabulary
            must hold at least 2 * num_beams tokens.
        length_penalty: > 0 favours longer finished hypotheses, < 0 shorter ones.
    """
    if num_beams < 1:
        raise ZooError(f"num_beams must be >= 1, got {num_beams}")
    steps = _num_new_tokens(model, prompt, max_new_tokens)
    if steps == 0:
        return prompt
    (B, P), K = prompt.shape, num_beams
    logits_of = _NextTokenLogits(model, B, P + steps, use_cache)
    finished = _Finished(B, K, P + steps, pad=0 if eos_id is None else eos_id, device=prompt.device)
    done = torch.zeros(B, dtype=torch.bool, device=prompt.device)
    rank = torch.arange(2 * K, device=prompt.device)
    ids, scores = prompt, torch.zeros(B, 1, device=prompt.device)  # (B*k, P+t-1), (B, k); one beam a row at first
    for t in range(1, steps + 1):
        cand_scores, rows, tokens = _top_candidates(scores, logits_of(ids), K)  # each (B, 2K)
        is_eos = tokens == eos_id if eos_id is not None else torch.zeros_like(tokens, dtype=torch.bool)
        ends = is_eos & (rank < K) & ~done[:, None]  # only eos among the K best finishes a hypothesis
        finished.add(cand_scores.masked_fill(~ends, float("-inf")) / t**length_penalty, _extend(ids[rows], tokens))
        keep = is_eos.int().sort(dim=1, stable=True).indices[:, :K]  # the K best that do not end, (B, K)
        scores, rows = cand_scores.gather(1, keep), rows.gather(1, keep).flatten()
        ids = _extend(ids[rows], tokens.gather(1, keep).flatten())
        logits_of.reorder(rows)
        done |= scores[:, 0] / t**length_penalty <= finished.scores[:, -1]  # -inf until K have finished
        if done.all():
            break
    live = (scores / t**length_penalty).masked_fill(done[:, None], float("-inf"))
    finished.add(live, ids.view(B, K, -1))
    return finished.ids[:, 0, : finished.lengths[:, 0].max()]


class _NextTokenLogits:
    """(B, N) ids so far -> (B, V) float logits for the token after them.

    Cached: the first call feeds the prompt through the model's state, each later call only the
    ids appended since. Uncached: every call runs ``model(ids)`` on the whole sequence.
    """

    def __init__(self, model: AutoregressiveModel, batch_size: int, max_len: int, use_cache: bool) -> None:
        self.model, self.use_cache = model, use_cache
        self.state = model.init_state(batch_size, max_len) if use_cache else None
        self.seen = 0  # ids already in the state

    def __call__(self, ids: Tensor) -> Tensor:
        if not self.use_cache:
            return self.model(ids)[:, -1].float()
        logits = self.model.decode_step(ids[:, self.seen :], self.state)  # (B, n, V)
        self.seen = ids.shape[1]
        return logits[:, -1].float()

    def reorder(self, index: Tensor) -> None:
        """Keep the sequences ``index`` (B',) of the state, in that order (the caller reorders its ids)."""
        if self.use_cache:
            self.model.reorder_state(self.state, index)


class _Finished:
    """The best finished hypotheses of each of B rows, best first, at most K a row.

    ``scores`` (B, K) length-normalised log-probabilities, -inf in empty slots; ``ids`` (B, K, L)
    padded with ``pad``; ``lengths`` (B, K) their lengths, prompt included.
    """

    def __init__(self, batch_size: int, num_beams: int, max_len: int, pad: int, device: torch.device) -> None:
        self.pad = pad
        self.scores = torch.full((batch_size, num_beams), float("-inf"), device=device)
        self.ids = torch.full((batch_size, num_beams, max_len), pad, device=device)
        self.lengths = torch.zeros(batch_size, num_beams, dtype=torch.long, device=device)

    def add(self, scores: Tensor, ids: Tensor) -> None:
        """Offer (B, M) scores (-inf: not a hypothesis) of (B, M, n) ids; keep each row's K best."""
        B, K, L = self.ids.shape
        lengths = torch.full_like(scores, ids.shape[2], dtype=torch.long)
        ids = F.pad(ids, (0, L - ids.shape[2]), value=self.pad)
        self.scores, best = torch.cat([self.scores, scores], dim=1).topk(K, dim=1)
        row = torch.arange(B, device=best.device)[:, None]
        self.ids = torch.cat([self.ids, ids], dim=1)[row, best]
        self.lengths = torch.cat([self.lengths, lengths], dim=1)[row, best]


def _decode(
    model: AutoregressiveModel,
    prompt: Tensor,
    max_new_tokens: int,
    pick: Callable[[Tensor], Tensor],
    eos_id: int | None,
    use_cache: bool,
) -> Tensor:
    """Extend (B, P) ``prompt`` a token a step; ``pick`` maps (B, V) logits to (B,) ids."""
    steps = _num_new_tokens(model, prompt, max_new_tokens)
    logits_of = _NextTokenLogits(model, prompt.shape[0], prompt.shape[1] + steps, use_cache)
    ids, done = prompt, torch.zeros(prompt.shape[0], dtype=torch.bool, device=prompt.device)
    for _ in range(steps):
        token = pick(logits_of(ids))  # (B,)
        if eos_id is not None:
            token = token.masked_fill(done, eos_id)
            done |= token == eos_id
        ids = _extend(ids, token)
        if done.all():
            break
    return ids


def _num_new_tokens(model: AutoregressiveModel, prompt: Tensor, max_new_tokens: int) -> int:
    """``max_new_tokens``, or fewer where the prompt and they would overflow the model's context."""
    if prompt.dim() != 2 or prompt.numel() == 0:
        raise ZooError(f"prompt must be (B, P) token ids with B, P >= 1, got shape {tuple(prompt.shape)}")
    if prompt.dtype != torch.int64:
        raise ZooError(f"prompt must hold int64 token ids, got {prompt.dtype}; convert it with prompt.long()")
    if max_new_tokens < 0:
        raise ZooError(f"max_new_tokens must be >= 0, got {max_new_tokens}")
    P, L = prompt.shape[1], model.max_len
    if L is None:
        return max_new_tokens
    if P > L:
        raise ZooError(f"prompt of {P} tokens is longer than the model's context of {L} tokens; shorten it")
    return min(max_new_tokens, L - P)


def _top_candidates(scores: Tensor, logits: Tensor, num_beams: int) -> tuple[Tensor, Tensor, Tensor]:
    """The 2K best one-token extensions of each row's k live beams, best first.

    Args:
        scores: (B, k) summed log-probabilities of the live beams.
        logits: (B*k, V) their next-token logits.

    Returns:
        (B, 2K) summed log-probabilities, (B, 2K) the extended beam as a row of the (B*k) batch,
        (B, 2K) the appended token. Each beam has one eos, so at least K candidates do not end.
    """
    (B, k), V = scores.shape, logits.shape[-1]
    if 2 * num_beams > V:
        raise ZooError(f"num_beams={num_beams} needs a vocabulary of at least {2 * num_beams} tokens, got {V}")
    total = scores[:, :, None] + logits.log_softmax(dim=-1).view(B, k, V)  # (B, k, V)
    cand_scores, flat = total.view(B, k * V).topk(2 * num_beams, dim=1)
    rows = torch.arange(B, device=flat.device)[:, None] * k + flat // V
    return cand_scores, rows, flat % V


def _filter_logits(logits: Tensor, top_k: int | None, top_p: float | None) -> Tensor:
    """(B, V) logits -> (B, V) with every token outside the top k and the top-p nucleus at -inf."""
    if top_k is not None:
        kth = logits.topk(min(top_k, logits.shape[-1]), dim=-1).values[:, -1:]  # (B, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None:
        probs, order = logits.softmax(dim=-1).sort(dim=-1, descending=True)
        drop_sorted = probs.cumsum(dim=-1) - probs >= top_p  # the more likely tokens already reach top_p
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)  # back to vocabulary order
        logits = logits.masked_fill(drop, float("-inf"))
    return logits


def _extend(ids: Tensor, token: Tensor) -> Tensor:
    """Append ``token`` (...,) to ``ids`` (..., N) -> (..., N + 1)."""
    return torch.cat([ids, token[..., None]], dim=-1)
