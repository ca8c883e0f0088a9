"""Contrastive multimodal training (VATT): video meets audio in a fine space by NCE, and its
captions in a coarse space by MIL-NCE; held-out retrieval and zero-shot classification.

Akbari et al., "VATT", 2021, https://arxiv.org/abs/2104.11178. The task receives any model with
the ``EmbedsModalities`` surface (``zoo.models.multimodal``): the Transformer of VATT and its
CNN/LSTM twin alike. Batches are the multimodal rows of ``zoo.data.batch``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.contracts import ZeroShotData
from zoo.data.batch import AUDIO, LABEL, TEXT, VIDEO, ZERO_SHOT_LABEL, Batch, field, present
from zoo.errors import ZooError
from zoo.tasks.nce import symmetric_nce
from zoo.tasks.optim import OptimizerFactory, SchedulerFactory, build_optimizers, default_optimizer
from zoo.tasks.retrieval import chance, ranks, recall_at
from zoo.tasks.stages import StagedTask

FINE, COARSE = "va", "vt"  # the spaces video shares with audio, and with text


class ContrastiveTask(StagedTask):
    """NCE(video, audio) in ``va`` + MIL-NCE(video, its K captions) in ``vt``, weighted.

    Logged: ``train/loss``, ``train/loss_va``, ``train/loss_vt``, ``train/false_negatives`` (the
    share of a batch's negative pairs that share a class: what the loss pushes apart wrongly);
    ``val/loss`` and, after each validation and test epoch over the whole split, retrieval
    ``t2v``, ``v2t``, ``a2v`` (``_r1``, ``_r5``, ``_r10``: % of queries with a right item in the
    top K; ``_median_rank``) and ``zero_shot_acc`` (% of single-class clips whose class prompt,
    from the datamodule's held-out prompts, is nearest). ``chance`` holds what a random ranking
    scores on the same galleries.

    Args:
        model: {modality: input} -> {modality: {space: (B, d)}} (``EmbedsModalities``).
        temperature: the NCE temperature (VATT: 0.07).
        learn_temperature: learn it (as CLIP does), starting from ``temperature``.
        audio_weight, text_weight: the two losses' weights (VATT: 1 and 1).
        optimizer, lr_scheduler: factories, as every task takes them.
    """

    checkpoint_task = "contrastive"

    def __init__(
        self,
        model: nn.Module,
        temperature: float = 0.07,
        learn_temperature: bool = False,
        audio_weight: float = 1.0,
        text_weight: float = 1.0,
        optimizer: OptimizerFactory = default_optimizer,
        lr_scheduler: SchedulerFactory | None = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.log_temperature = nn.Parameter(torch.tensor(math.log(temperature)), requires_grad=learn_temperature)
        self.weights = {AUDIO: audio_weight, TEXT: text_weight}
        self.optimizer, self.lr_scheduler = optimizer, lr_scheduler
        self.chance: dict[str, dict[str, float]] = {}
        self._eval: list[dict[str, Tensor]] = []

    @property
    def temperature(self) -> Tensor:
        return self.log_temperature.exp().clamp(min=0.01)

    @property
    def objective(self) -> dict:
        """The loss's settings (the temperature as trained), recorded in the checkpoint so
        ``zoo.pipeline.evaluate`` scores it alike and zero-shot probabilities use it."""
        weights = {"audio_weight": self.weights[AUDIO], "text_weight": self.weights[TEXT]}
        return {"temperature": round(float(self.temperature), 6), **weights}

    def configure_optimizers(self):
        extra = [self.log_temperature] if self.log_temperature.requires_grad else []
        return build_optimizers(self, self.layer_decay, extra)

    def embed_batch(self, batch: Batch) -> dict[str, Tensor]:
        """The batch's embeddings: ``video_va``, ``video_vt`` (B, d); ``audio_va`` (B, d) where the
        model and batch have audio; ``text_vt`` (B, K, d) where they have text."""
        modalities = self.model.modalities
        video = self.model.embed(VIDEO, field(batch, VIDEO, "contrastive training"))
        out = {f"video_{space}": e for space, e in video.items()}
        if AUDIO in batch and AUDIO in modalities:
            out["audio_va"] = self.model.embed(AUDIO, batch[AUDIO])[FINE]
        if TEXT in batch and TEXT in modalities:
            ids = batch[TEXT]
            if ids.ndim != 3:
                raise ZooError(f"text must be (B, K, N) caption ids, got shape {tuple(ids.shape)}")
            out["text_vt"] = self.model.embed(TEXT, ids.flatten(0, 1))[COARSE].unflatten(0, ids.shape[:2])
        return out

    def losses(self, batch: Batch, e: dict[str, Tensor]) -> dict[str, Tensor]:
        """{"loss", "loss_va", "loss_vt"} of the batch's embeddings, negatives from every process."""
        video_present = present(batch, VIDEO)
        out, total, weight = {}, 0.0, 0.0
        for modality, space, key in ((AUDIO, FINE, "audio_va"), (TEXT, COARSE, "text_vt")):
            if key not in e or self.weights[modality] == 0:
                continue
            v, other = e[f"video_{space}"][:, None], e[key] if key == "text_vt" else e[key][:, None]
            mask = present(batch, modality)
            gathered = self._gather(v, other, video_present, mask)
            out[f"loss_{space}"] = symmetric_nce(v, other, self.temperature, video_present, mask, *gathered)
            total, weight = total + self.weights[modality] * out[f"loss_{space}"], weight + self.weights[modality]
        if not out:
            raise ZooError("the batch has neither audio nor text the model reads: nothing to contrast video with")
        out["loss"] = total / weight
        return out

    def _gather(self, a: Tensor, b: Tensor, a_present: Tensor, b_present: Tensor) -> tuple:
        """Every process's rows (with gradients) for the negatives; this batch's under one process."""
        if self._trainer is None or self.trainer.world_size == 1:  # no trainer: a plain call
            return None, None, None, None
        a_all, b_all = (self.all_gather(x, sync_grads=True).flatten(0, 1) for x in (a, b))
        ap, bp = (self.all_gather(x).flatten(0, 1) for x in (a_present, b_present))
        return a_all, b_all, ap, bp

    def _step(self, batch: Batch, stage: str) -> Tensor:
        e = self.embed_batch(batch)
        losses = self.losses(batch, e)
        B = len(e["video_va"])
        if stage == "train":
            self.log_dict({f"train/{k}": v for k, v in losses.items()}, prog_bar=True, batch_size=B)
            if LABEL in batch:
                same = batch[LABEL][:, None] == batch[LABEL][None, :]
                self.log("train/false_negatives", (same.sum() - B).float() / max(B * (B - 1), 1), batch_size=B)
            self.log("train/temperature", self.temperature, batch_size=B)
            return losses["loss"]
        self.log(f"{stage}/loss", losses["loss"], prog_bar=True, sync_dist=True, batch_size=B)
        kept = {k: v.detach().float() for k, v in e.items()}
        for modality in (VIDEO, AUDIO, TEXT):
            if modality in batch:
                kept[f"{modality}_present"] = present(batch, modality)
        if ZERO_SHOT_LABEL in batch:
            kept[ZERO_SHOT_LABEL] = batch[ZERO_SHOT_LABEL]
        self._eval.append(kept)
        return losses["loss"]

    def on_validation_epoch_start(self) -> None:
        self._eval = []

    def on_test_epoch_start(self) -> None:
        self._eval = []

    def on_validation_epoch_end(self) -> None:
        self._log_retrieval("val")

    def on_test_epoch_end(self) -> None:
        self._log_retrieval("test")

    def _log_retrieval(self, stage: str) -> None:
        if not self._eval or self.trainer.sanity_checking:
            return
        split = {k: torch.cat([b[k] for b in self._eval]) for k in self._eval[0]}
        if self.trainer.world_size > 1:
            split = {k: self.all_gather(v).flatten(0, 1) for k, v in split.items()}
        metrics, self.chance = retrieval_metrics(split), retrieval_chance(split)
        if ZERO_SHOT_LABEL in split and isinstance(self.trainer.datamodule, ZeroShotData):
            metrics["zero_shot_acc"] = self.zero_shot_accuracy(split, self.trainer.datamodule.class_prompt_ids())
        self.log_dict({f"{stage}/{k}": v for k, v in metrics.items()}, prog_bar=stage == "val")
        self._eval = []

    @torch.no_grad()
    def zero_shot_accuracy(self, split: dict[str, Tensor], prompt_ids: Tensor) -> float:
        """% of the clips with a single class whose nearest class prompt (the mean of its M
        prompts' embeddings, CLIP's prompt ensembling) is that class; prompts (C, M, N) ids."""
        C, M, _ = prompt_ids.shape
        prompts = self.model.embed(TEXT, prompt_ids.flatten(0, 1).to(self.device))[COARSE].float()
        classes = F.normalize(F.normalize(prompts, dim=-1).unflatten(0, (C, M)).mean(1), dim=-1)  # (C, d)
        labels = split[ZERO_SHOT_LABEL]
        keep = labels >= 0
        predicted = (F.normalize(split["video_vt"][keep], dim=-1) @ classes.T).argmax(dim=1)
        return 100.0 * (predicted == labels[keep]).float().mean().item()


def retrieval_metrics(split: dict[str, Tensor]) -> dict[str, float]:
    """A split's embeddings (``embed_batch``'s fields, concatenated) and each modality's
    ``<modality>_present`` rows -> t2v, v2t, a2v metrics."""
    out: dict[str, float] = {}
    video = split["video_present"]
    if "text_vt" in split:
        rows = video & split["text_present"]
        v, t = split["video_vt"][rows], split["text_vt"][rows]  # (n, d), (n, K, d)
        n, K = t.shape[:2]
        own = torch.arange(n, device=v.device)
        t2v_right = own.repeat_interleave(K)[:, None] == own[None, :]  # (n * K, n)
        out |= prefixed("t2v", recall_at(ranks(t.flatten(0, 1), v, t2v_right)))
        out |= prefixed("v2t", recall_at(ranks(v, t.flatten(0, 1), t2v_right.T)))
    if "audio_va" in split:
        rows = video & split["audio_present"]
        v, a = split["video_va"][rows], split["audio_va"][rows]
        right = torch.eye(len(v), dtype=torch.bool, device=v.device)
        out |= prefixed("a2v", recall_at(ranks(a, v, right)))
    return out


def retrieval_chance(split: dict[str, Tensor]) -> dict[str, dict[str, float]]:
    """What a random ranking scores on the same galleries as :func:`retrieval_metrics`."""
    out = {}
    video = split["video_present"]
    if "text_vt" in split:
        n, K = int((video & split["text_present"]).sum()), split["text_vt"].shape[1]
        out["t2v"], out["v2t"] = chance(n), chance(n * K, K)
    if "audio_va" in split:
        out["a2v"] = chance(int((video & split["audio_present"]).sum()))
    return out


def prefixed(prefix: str, metrics: dict[str, float]) -> dict[str, float]:
    return {f"{prefix}_{k}": v for k, v in metrics.items()}
