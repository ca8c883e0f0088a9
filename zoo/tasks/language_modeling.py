"""Language modelling: next-token (GPT, LSTM LM) and masked-token (BERT) prediction.

Both take batches of (B, N) ids by name (``zoo.data.batch``): ``{"input_ids", "target_ids"}``
for next-token prediction, ``{"input_ids"}`` for masked tokens (the task draws the mask), and
a model mapping (B, N) ids to (B, N, V) logits. Targets of -100 (``IGNORE``) carry no loss.
Perplexity is exp of the mean per-token negative log-likelihood over the whole split.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics import MeanMetric

from zoo.data.batch import IGNORE, INPUT_IDS, TARGET_IDS, Batch, field
from zoo.tasks.optim import OptimizerFactory, SchedulerFactory, default_optimizer
from zoo.tasks.stages import SeededEvalMasks, StagedTask


class LanguageModelTask(StagedTask):
    """Cross-entropy over every target token; logs ``{stage}/loss`` and ``{stage}/ppl``.

    ``val/loss`` and ``val/ppl`` are token-weighted over the whole split, so they do not
    depend on the batch size.

    Args:
        model: (B, N) ids -> (B, N, V) logits, e.g. ``CausalLM`` or ``RNNLanguageModel``.
        optimizer: builds the optimiser from the weight-decay parameter groups.
        lr_scheduler: builds a per-step schedule from the optimiser and the total step count.
    """

    checkpoint_task = "causal-lm"

    def __init__(
        self,
        model: nn.Module,
        optimizer: OptimizerFactory = default_optimizer,
        lr_scheduler: SchedulerFactory | None = None,
    ) -> None:
        super().__init__()
        self.model, self.optimizer, self.lr_scheduler = model, optimizer, lr_scheduler
        self.nll = nn.ModuleDict({stage: MeanMetric() for stage in ("val", "test")})

    def forward(self, ids: Tensor) -> Tensor:
        return self.model(ids)

    def prepare(self, batch: Batch, stage: str) -> tuple[Tensor, Tensor]:
        """The (inputs, targets) the model sees and is scored on, (B, N) each."""
        task = "causal language modelling"
        return field(batch, INPUT_IDS, task), field(batch, TARGET_IDS, task)

    def scored_logits(self, inputs: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
        """(logits (B, N, V), targets (B, N)) of the positions the loss counts."""
        return self(inputs), targets

    def _step(self, batch: Batch, stage: str) -> Tensor:
        inputs, targets = self.prepare(batch, stage)
        logits, targets = self.scored_logits(inputs, targets)
        loss = F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(), ignore_index=IGNORE)
        tokens = (targets != IGNORE).sum()
        if stage == "train":
            self.log("train/loss", loss, prog_bar=True, batch_size=len(inputs))
        else:
            self.nll[stage].update(loss, weight=tokens)
        return loss

    def _log_epoch(self, stage: str) -> None:
        nll = self.nll[stage].compute()
        self.log(f"{stage}/loss", nll, prog_bar=True)
        self.log(f"{stage}/ppl", torch.exp(nll), prog_bar=True)
        self.nll[stage].reset()

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")


class MaskedLMTask(SeededEvalMasks, LanguageModelTask):
    """BERT's masked-LM pretraining: of the non-special tokens, 15 % are chosen; of those,
    80 % become [MASK], 10 % a random token and 10 % stay; the loss is on the chosen ones.

    Devlin et al., "BERT", 2018, https://arxiv.org/abs/1810.04805 (3.1). Training draws a
    new mask every time (dynamic masking, as RoBERTa); validation and test draw the same
    mask every epoch (seeded by the batch index), so their perplexity is comparable.
    The LM head runs on the chosen positions only (as BERT's own pretraining code gathers
    them): 15 % of the vocabulary projection, the largest matrix product of a small model.
    The model is a ``UnimodalModel`` (``forward_features`` then ``forward_head``).

    Args:
        mask_id: the [MASK] id (4 in zoo's encoder tokenizers, ``zoo.data.tokenizer.SPECIAL_TOKENS``).
        num_special: ids below it are special ([PAD], [UNK], [CLS], [SEP], [MASK]) and never chosen.
        mask_prob: share of tokens chosen.
        Others: see :class:`LanguageModelTask`.
    """

    checkpoint_task = "masked-lm"

    def __init__(
        self,
        model: nn.Module,
        mask_id: int = 4,
        num_special: int = 5,
        mask_prob: float = 0.15,
        optimizer: OptimizerFactory = default_optimizer,
        lr_scheduler: SchedulerFactory | None = None,
    ) -> None:
        super().__init__(model, optimizer, lr_scheduler)
        self.mask_id, self.num_special, self.mask_prob = mask_id, num_special, mask_prob

    @property
    def objective(self) -> dict:
        """The loss's settings, recorded in the checkpoint so ``zoo.pipeline.evaluate`` scores it alike."""
        return {"mask_id": self.mask_id, "num_special": self.num_special, "mask_prob": self.mask_prob}

    def prepare(self, batch: Batch, stage: str) -> tuple[Tensor, Tensor]:
        ids = field(batch, INPUT_IDS, "masked language modelling")
        generator = self.mask_generator(ids.device, stage)
        return mask_tokens(ids, self.mask_id, self.num_special, self.vocab_size, self.mask_prob, generator)

    def scored_logits(self, inputs: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
        tokens = self.model.forward_features(inputs, self.model.padding_mask(inputs))  # (B, N, D)
        chosen = targets != IGNORE
        return self.model.forward_head(tokens[chosen][None]), targets[chosen][None]  # (1, M, V), (1, M)

    @property
    def vocab_size(self) -> int:
        return self.model.head.vocab_size


def mask_tokens(
    ids: Tensor, mask_id: int, num_special: int, vocab_size: int, mask_prob: float = 0.15, generator=None
) -> tuple[Tensor, Tensor]:
    """(B, N) ids -> (inputs with BERT's 80/10/10 corruption, targets: the chosen ids, -100 elsewhere)."""

    def uniform() -> Tensor:
        return torch.rand(ids.shape, device=ids.device, generator=generator)

    chosen = (uniform() < mask_prob) & (ids >= num_special)
    targets = ids.masked_fill(~chosen, IGNORE)
    roll = uniform()
    random_ids = torch.randint(num_special, vocab_size, ids.shape, device=ids.device, generator=generator)
    inputs = torch.where(chosen & (roll < 0.8), mask_id, ids)
    inputs = torch.where(chosen & (roll >= 0.8) & (roll < 0.9), random_ids, inputs)
    return inputs, targets
