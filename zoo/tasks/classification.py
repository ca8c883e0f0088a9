"""Classification: one LightningModule for images, text and audio alike.

It receives any model that maps a batch's input (its ``image``, ``input_ids`` or ``audio``
field, see ``zoo.data.batch``) to (B, num_classes) logits, and scores them against ``label``.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassConfusionMatrix, MulticlassF1Score

from zoo.contracts import is_classifier
from zoo.data.batch import LABEL, Batch, field, model_input
from zoo.tasks.optim import OptimizerFactory, SchedulerFactory, default_optimizer
from zoo.tasks.stages import StagedTask


class ClassificationTask(StagedTask):
    """Cross-entropy training with accuracy, top-5 accuracy, macro-F1 and a confusion matrix.

    Logged names: ``train/loss``, ``train/acc``; ``val/loss``, ``val/acc``, ``val/acc_top5``,
    ``val/f1_macro``; the same under ``test/``. After testing, ``confusion_matrix`` holds the
    (num_classes, num_classes) counts (rows: true class, columns: predicted), summed over ranks.

    Args:
        model: maps a batch of inputs to (B, num_classes) logits. A classifier built for another
            number of classes (a checkpoint's config, fine-tuned on new labels) gets a fresh
            classifier of ``num_classes`` (``reset_classifier``).
        num_classes: number of classes.
        optimizer: builds the optimiser from the parameter groups of ``weight_decay_groups``
            (AdamW, lr 1e-3, wd 0.05 by default); biases, norms and position embeddings get no decay.
        lr_scheduler: builds a per-step schedule from the optimiser and the total step count.
        label_smoothing: cross-entropy label smoothing.
        layer_decay: layer-wise learning-rate decay for fine-tuning (e.g. 0.75: the head and
            final norm learn at the optimiser's rate, each block below at 0.75 times the rate
            of the one above it, the front-end lowest); None: one rate for all. See
            :func:`zoo.tasks.param_groups.weight_decay_groups`.
    """

    checkpoint_task = "classification"

    def __init__(
        self,
        model: nn.Module,
        num_classes: int,
        optimizer: OptimizerFactory = default_optimizer,
        lr_scheduler: SchedulerFactory | None = None,
        label_smoothing: float = 0.0,
        layer_decay: float | None = None,
    ) -> None:
        super().__init__()
        if is_classifier(model) and model.num_classes != num_classes:
            model.reset_classifier(num_classes)  # e.g. a fine-tune's label set: a fresh classifier of that size
        self.model = model
        self.num_classes = num_classes
        self.optimizer = optimizer
        self.lr_scheduler = lr_scheduler
        self.label_smoothing = label_smoothing
        self.layer_decay = layer_decay
        self.train_acc = MulticlassAccuracy(num_classes, average="micro")
        eval_metrics = {"acc": MulticlassAccuracy(num_classes, average="micro")}
        if num_classes > 5:
            eval_metrics["acc_top5"] = MulticlassAccuracy(num_classes, top_k=5, average="micro")
        eval_metrics["f1_macro"] = MulticlassF1Score(num_classes, average="macro")
        self.val_metrics = MetricCollection(eval_metrics, prefix="val/")
        self.test_metrics = self.val_metrics.clone(prefix="test/")
        self.test_confmat = MulticlassConfusionMatrix(num_classes)
        self.confusion_matrix: Tensor | None = None

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x)

    def training_loss(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """A training batch's inputs and (B,) labels -> (loss, (B, num_classes) logits):
        label-smoothed cross-entropy. Validation and test score plain cross-entropy."""
        logits = self(x)
        return F.cross_entropy(logits, y, label_smoothing=self.label_smoothing), logits

    def _step(self, batch: Batch, stage: str) -> Tensor:
        y, x = field(batch, LABEL, "classification"), model_input(batch)
        if stage == "train":
            loss, logits = self.training_loss(x, y)
        else:
            logits = self(x)
            loss = F.cross_entropy(logits, y)
        self.log(f"{stage}/loss", loss, prog_bar=True, sync_dist=stage != "train", batch_size=len(y))
        if stage == "train":
            self.train_acc(logits, y)
            self.log("train/acc", self.train_acc, prog_bar=True, batch_size=len(y))
            return loss
        metrics = self.val_metrics if stage == "val" else self.test_metrics
        metrics(logits, y)
        self.log_dict(metrics, prog_bar=stage == "val", batch_size=len(y))
        if stage == "test":
            self.test_confmat.update(logits, y)
        return loss

    def predict_step(self, batch: Batch, batch_idx: int) -> Tensor:
        return self(model_input(batch)).softmax(dim=-1)

    def on_test_epoch_end(self) -> None:
        self.confusion_matrix = self.test_confmat.compute().cpu()
        self.test_confmat.reset()
