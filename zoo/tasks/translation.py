"""Translation: teacher forcing with label smoothing, and BLEU of the model's own beam search.

Batches (``zoo.data.batch``): ``{"source_ids": (B, S), "target_ids": (B, T)}``, the target
``BOS y_1 .. y_m EOS`` then padding. The decoder reads ``target_ids[:, :-1]`` (the target
shifted right) and is scored on ``target_ids[:, 1:]``; padded positions carry no loss.
Label smoothing 0.1 is the 2017 paper's (Szegedy et al. 2016). Validation also translates
the first ``bleu_batches`` batches (a fixed subset: validation loaders are not shuffled) with
beam search and logs their corpus BLEU against the references, both turned back into text by
the datamodule's ``decode(ids) -> str`` (special ids dropped); testing translates every
batch and logs ``test/bleu``, its sacreBLEU signature kept as ``bleu_signature``. Under DDP
each rank translates its own batches (``bleu_batches`` of them a rank) and the corpus BLEU is
computed once over all ranks' sentences.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor, nn
from torchmetrics import MeanMetric

from zoo.bleu import corpus_bleu
from zoo.data.batch import SOURCE_IDS, TARGET_IDS, Batch, field
from zoo.errors import ZooError
from zoo.tasks.optim import OptimizerFactory, SchedulerFactory, default_optimizer
from zoo.tasks.stages import StagedTask


class TranslationTask(StagedTask):
    """Token cross-entropy of an ``EncoderDecoderModel`` (or its LSTM twin); logs
    ``{stage}/loss`` (token-weighted over the split, without smoothing: the NLL), ``{stage}/ppl``,
    ``val/bleu`` and ``test/bleu``.

    Args:
        model: a ``zoo.contracts.Seq2SeqModel``: (B, S) source ids, (B, T) target ids ->
            (B, T, V) logits, and the decoding surface ``zoo.generation.translate`` uses.
        pad_id, bos_id, eos_id: the target vocabulary's special ids.
        label_smoothing: training loss smoothing (validation and test report the plain NLL).
        num_beams, length_penalty: validation BLEU's beam search (``zoo.generation.translate``).
        bleu_batches: validation batches translated for BLEU each epoch (0: none).
        test_bleu: translate the whole test split for ``test/bleu``.
        optimizer, lr_scheduler: as every task's.
    """

    checkpoint_task = "translation"

    def __init__(
        self,
        model: nn.Module,
        pad_id: int = 0,
        bos_id: int = 1,
        eos_id: int = 2,
        label_smoothing: float = 0.1,
        num_beams: int = 4,
        length_penalty: float = 1.0,
        bleu_batches: int = 2,
        test_bleu: bool = True,
        optimizer: OptimizerFactory = default_optimizer,
        lr_scheduler: SchedulerFactory | None = None,
    ) -> None:
        super().__init__()
        if not 0 <= label_smoothing < 1:
            raise ZooError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        self.model, self.optimizer, self.lr_scheduler = model, optimizer, lr_scheduler
        self.pad_id, self.bos_id, self.eos_id = pad_id, bos_id, eos_id
        self.label_smoothing, self.num_beams, self.length_penalty = label_smoothing, num_beams, length_penalty
        self.bleu_batches, self.test_bleu = bleu_batches, test_bleu
        self.bleu_signature: str | None = None  # sacreBLEU's, of the last BLEU computed
        self.nll = nn.ModuleDict({stage: MeanMetric() for stage in ("val", "test")})
        self._hypotheses: list[str] = []  # this validation or test epoch's translations for BLEU
        self._references: list[str] = []
        self._bleu_seen = 0  # batches translated so far this epoch

    @property
    def objective(self) -> dict:
        """The decoding settings its BLEU is measured with, recorded in the checkpoint."""
        return {"num_beams": self.num_beams, "length_penalty": self.length_penalty}

    def setup(self, stage: str) -> None:
        """Check the special ids against the data's tokenizer (once the data is set up)."""
        p = getattr(getattr(self.trainer, "datamodule", None), "preprocessing", None)
        if p is not None and getattr(p, "bos_id", None) is not None:
            ours, theirs = (self.pad_id, self.bos_id, self.eos_id), (p.pad_id, p.bos_id, p.eos_id)
            if ours != theirs:
                raise ZooError(f"the task's pad, bos, eos ids {ours} are not the tokenizer's {theirs}; set them so")

    def forward(self, source: Tensor, target: Tensor) -> Tensor:
        return self.model(source, target)

    def loss(self, source: Tensor, target: Tensor, smoothing: float) -> tuple[Tensor, Tensor]:
        """(mean cross-entropy over the non-pad next tokens, how many there are)."""
        logits = self(source, target[:, :-1])  # (B, T - 1, V): teacher forcing
        labels = target[:, 1:]
        loss = F.cross_entropy(
            logits.flatten(0, 1).float(), labels.flatten(), ignore_index=self.pad_id, label_smoothing=smoothing
        )
        return loss, (labels != self.pad_id).sum()

    def _step(self, batch: Batch, stage: str) -> Tensor:
        source, target = field(batch, SOURCE_IDS, "translation"), field(batch, TARGET_IDS, "translation")
        if stage == "train":
            loss, _ = self.loss(source, target, self.label_smoothing)
            self.log("train/loss", loss, prog_bar=True, batch_size=len(source))
            return loss
        loss, tokens = self.loss(source, target, 0.0)
        self.nll[stage].update(loss, weight=tokens)
        if (stage == "val" and self._bleu_seen < self.bleu_batches) or (stage == "test" and self.test_bleu):
            self._translate_for_bleu(source, target)
        return loss

    def _translate_for_bleu(self, source: Tensor, target: Tensor) -> None:
        from zoo.generation import translate

        decode = getattr(self.trainer.datamodule, "decode", None)
        if decode is None:
            raise ZooError(
                f"{type(self.trainer.datamodule).__name__} has no decode(ids) -> text for BLEU; "
                "add one, or set bleu_batches: 0 and test_bleu: false"
            )
        hypotheses = translate(self.model, source, bos_id=self.bos_id, eos_id=self.eos_id,
                               num_beams=self.num_beams, length_penalty=self.length_penalty)  # fmt: skip
        self._hypotheses += [decode(ids) for ids in hypotheses.tolist()]
        self._references += [decode(ids) for ids in target.tolist()]
        self._bleu_seen += 1

    def _log_epoch(self, stage: str) -> None:
        nll = self.nll[stage].compute()
        self.log(f"{stage}/loss", nll, prog_bar=True)
        self.log(f"{stage}/ppl", torch.exp(nll))
        self.nll[stage].reset()

    def _log_bleu(self, stage: str) -> None:
        """Log the corpus BLEU of this epoch's translations as ``{stage}/bleu``; under DDP, of
        every rank's translations gathered (corpus BLEU is not a mean of per-rank scores)."""
        hypotheses, references = self._gathered(self._hypotheses), self._gathered(self._references)
        if not hypotheses:
            return
        bleu = corpus_bleu(hypotheses, references)
        self.log(f"{stage}/bleu", bleu.score, prog_bar=True, sync_dist=True)  # the same on every rank
        if self.bleu_signature is None or stage == "test":
            rank_zero_info(f"{stage}/bleu {bleu.score:.2f} on {len(hypotheses)} sentences: {bleu.signature}")
        self.bleu_signature = bleu.signature

    def _gathered(self, texts: list[str]) -> list[str]:
        """``texts`` of every rank, rank 0's first (one process: ``texts`` itself)."""
        if self.trainer.world_size == 1 or not torch.distributed.is_initialized():
            return texts
        parts: list[list[str] | None] = [None] * self.trainer.world_size
        torch.distributed.all_gather_object(parts, texts)
        return [text for part in parts for text in part]

    def _start_bleu(self) -> None:
        self._hypotheses, self._references, self._bleu_seen = [], [], 0

    def on_validation_epoch_start(self) -> None:
        self._start_bleu()

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")
        self._log_bleu("val")

    def on_test_epoch_start(self) -> None:
        self._start_bleu()

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")
        self._log_bleu("test")
