"""Word vectors by negative sampling: skip-gram or CBOW (``zoo.models.word2vec``).

The loss of a row (a centre and one context word for skip-gram; a centre and its whole
context for CBOW) is word2vec's: ``-log sigmoid(s_true) - sum_k log sigmoid(-s_noise_k)``,
averaged over the rows that hold a word (``{stage}/loss``). The test split is followed by one
batch per word benchmark (``zoo.data.word_benchmarks``), scored on the model's vectors:
``test/analogy_acc`` and ``test/analogy_coverage``, ``test/<pairs>_spearman`` and
``test/<pairs>_coverage`` (see :class:`zoo.word_vectors.WordVectors` for the definitions).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics import MeanMetric

from zoo.data.batch import Batch
from zoo.data.word_windows import CENTERS, CONTEXT_MASK, CONTEXTS, NEGATIVES
from zoo.errors import ZooError
from zoo.tasks.optim import OptimizerFactory, SchedulerFactory
from zoo.tasks.stages import StagedTask
from zoo.word_vectors import analogy_answers, pair_similarities, spearman


def word2vec_optimizer(params) -> torch.optim.Optimizer:
    """Adam, lr 2e-3, no weight decay: what the word-vector recipes use."""
    return torch.optim.Adam(params, lr=2e-3)


def negative_sampling_loss(scores: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
    """scores (B, P, 1 + K) (target 0 the true word), mask (B, P) -> (mean loss over the
    masked-in rows, their count)."""
    labels = torch.zeros_like(scores)
    labels[..., 0] = 1
    per_row = F.binary_cross_entropy_with_logits(scores.float(), labels, reduction="none").sum(-1)
    rows = mask.sum()
    return (per_row * mask).sum() / rows.clamp(min=1), rows


class WordEmbeddingTask(StagedTask):
    """Trains ``SkipGram`` or ``CBOW`` on ``zoo.data.word_windows`` batches; logs
    ``{stage}/loss`` and the test benchmarks (see the module docstring).

    Args:
        model: a ``SkipGram`` or ``CBOW``.
        optimizer: builds the optimiser from the parameter groups (no weight decay).
        lr_scheduler: builds a per-step schedule from the optimiser and the total step count.
    """

    checkpoint_task = "word-embedding"

    def __init__(
        self,
        model: nn.Module,
        optimizer: OptimizerFactory = word2vec_optimizer,
        lr_scheduler: SchedulerFactory | None = None,
    ) -> None:
        super().__init__()
        self.model, self.optimizer, self.lr_scheduler = model, optimizer, lr_scheduler
        self.loss = nn.ModuleDict({stage: MeanMetric() for stage in ("val", "test")})

    def setup(self, stage: str) -> None:
        """Check that the model has a vector for every word of the data's vocabulary."""
        data = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        vocabulary = getattr(data, "preprocessing", None)
        if vocabulary is not None and len(vocabulary) != len(self.model.vectors):
            raise ZooError(
                f"the model has {len(self.model.vectors):,} word vectors but the data's vocabulary holds "
                f"{len(vocabulary):,} words; set the model's vocab_size to {len(vocabulary)}"
            )

    def forward(self, batch: Batch) -> tuple[Tensor, Tensor]:
        return self.model(batch[CENTERS], batch[CONTEXTS], batch[CONTEXT_MASK], batch[NEGATIVES])

    def _step(self, batch: Batch, stage: str) -> Tensor | None:
        if "benchmark" in batch:
            self._log_benchmark(batch)
            return None
        loss, rows = negative_sampling_loss(*self(batch))
        if stage == "train":
            self.log("train/loss", loss, prog_bar=True, batch_size=len(batch[CENTERS]))
        else:
            self.loss[stage].update(loss, weight=rows)
        return loss

    @torch.no_grad()
    def _log_benchmark(self, batch: Batch) -> None:
        name, vectors, total = batch["benchmark"], self.model.vectors, float(batch["total"])
        if name == "analogy":
            questions = batch["questions"]
            correct = (analogy_answers(vectors, questions[:, :3]) == questions[:, 3]).float()
            values = {"analogy_acc": correct.mean() if len(correct) else torch.tensor(float("nan"))}
            values["analogy_coverage"] = len(questions) / total
        else:
            similarity = pair_similarities(vectors, batch["pairs"]).cpu()
            values = {f"{name}_spearman": spearman(similarity, batch["scores"].cpu())}
            values[f"{name}_coverage"] = len(batch["pairs"]) / total
        for key, value in values.items():
            self.log(f"test/{key}", float(value), batch_size=1)

    def _log_epoch(self, stage: str) -> None:
        self.log(f"{stage}/loss", self.loss[stage].compute(), prog_bar=True)
        self.loss[stage].reset()

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")
