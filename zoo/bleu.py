"""BLEU through sacreBLEU, with the signature that makes a score comparable.

Papineni et al., "BLEU: a Method for Automatic Evaluation of Machine Translation", 2002;
Post, "A Call for Clarity in Reporting BLEU Scores", 2018, https://arxiv.org/abs/1804.08771:
a BLEU number means little without how it was computed (tokenisation, casing, smoothing,
number of references), which sacreBLEU's signature states. Every BLEU the zoo reports is
computed here and printed with its signature; none is computed by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zoo.errors import ZooError


@dataclass(frozen=True)
class BleuScore:
    """A BLEU score (0-100) and how it was computed.

    ``precisions`` are the clipped n-gram precisions in %, ``counts`` / ``totals`` their
    clipped matches and candidate n-grams, ``brevity_penalty`` BP (1 when the candidate is at
    least as long as the closest reference).
    """

    score: float
    signature: str
    precisions: tuple[float, ...]
    counts: tuple[int, ...]
    totals: tuple[int, ...]
    brevity_penalty: float

    def __str__(self) -> str:
        return f"BLEU {self.score:.2f} ({self.signature})"


def corpus_bleu(
    hypotheses: Sequence[str],
    references: Sequence[str] | Sequence[Sequence[str]],
    *,
    lowercase: bool = False,
    tokenize: str = "13a",
) -> BleuScore:
    """Corpus BLEU-4 of ``hypotheses`` against ``references``: sacreBLEU's defaults (13a
    tokenisation, exponential smoothing, cased), the score the WMT papers report.

    Args:
        hypotheses: one translation a sentence.
        references: one reference a sentence, or a list of references a sentence (each
            sentence the same number).
        lowercase: compare case-insensitively (the signature says ``case:lc``).
        tokenize: sacreBLEU's tokeniser ("13a", "intl", "char", "none", ...).
    """
    from sacrebleu.metrics import BLEU

    streams = _reference_streams(hypotheses, references)
    metric = BLEU(lowercase=lowercase, tokenize=tokenize)
    return _score(metric.corpus_score(list(hypotheses), streams), metric)


def sentence_bleu(
    hypothesis: str,
    references: Sequence[str],
    *,
    max_order: int = 4,
    lowercase: bool = False,
    smooth: str = "none",
) -> BleuScore:
    """BLEU-``max_order`` of one sentence against its references, unsmoothed by default (the
    textbook formula: a missing n-gram order gives 0). For teaching and tests; report
    ``corpus_bleu``."""
    from sacrebleu.metrics import BLEU

    if isinstance(references, str):
        references = [references]
    metric = BLEU(max_ngram_order=max_order, lowercase=lowercase, smooth_method=smooth, effective_order=False)
    return _score(metric.sentence_score(hypothesis, list(references)), metric)


def _reference_streams(hypotheses: Sequence[str], references: Sequence[str] | Sequence[Sequence[str]]) -> list[list[str]]:
    """Per-sentence references -> sacreBLEU's streams (stream i: every sentence's i-th reference)."""
    if len(hypotheses) != len(references):
        raise ZooError(f"{len(hypotheses)} hypotheses but {len(references)} references; give one entry a sentence")
    if not hypotheses:
        raise ZooError("no hypotheses to score; give at least one sentence")
    per_sentence = [[r] if isinstance(r, str) else list(r) for r in references]
    counts = {len(r) for r in per_sentence}
    if len(counts) != 1 or 0 in counts:
        raise ZooError(f"every sentence needs the same number of references (at least one), got {sorted(counts)}")
    return [list(stream) for stream in zip(*per_sentence)]


def _score(result, metric) -> BleuScore:
    return BleuScore(
        score=float(result.score),
        signature=str(metric.get_signature()),
        precisions=tuple(float(p) for p in result.precisions),
        counts=tuple(int(c) for c in result.counts),
        totals=tuple(int(t) for t in result.totals),
        brevity_penalty=float(result.bp),
    )
