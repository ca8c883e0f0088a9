"""Hard-label distillation through a distillation token (DeiT) from a zoo checkpoint teacher.

Touvron et al., "Training data-efficient image transformers & distillation through attention",
2021, https://arxiv.org/abs/2012.12877: the student's class token learns the labels, its
distillation token learns the teacher's hard predictions on the same (augmented) images, and
the loss is ``(1 - alpha) * CE(cls, y) + alpha * CE(dist, argmax teacher(x))`` (alpha 0.5 in
the paper, where a convnet teacher gave a ViT that beat it). Validation and test score the
student alone, as it is exported: the mean of its two classifiers.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.errors import ZooError
from zoo.heads.distilled import DistilledClassifierHead
from zoo.tasks.classification import ClassificationTask
from zoo.tasks.optim import OptimizerFactory, SchedulerFactory, default_optimizer


class DistillationTask(ClassificationTask):
    """A ``ClassificationTask`` whose training loss adds the distillation token's; validation and
    test score the student as exported (the mean of its two classifiers).

    Args:
        model: a ``UnimodalModel`` with a ``DistilledClassifierHead`` (and a front-end with
            a distillation token: ``PatchEmbed(dist_token=True)``).
        num_classes: number of classes; the teacher must have as many, in the data's order.
        teacher: a zoo classifier checkpoint (a name in ``zoo list`` or a folder), e.g. the
            CNN twin ``resnet-fashion-mnist``. It is frozen, kept out of the student's
            checkpoint, and reads the same inputs as the student.
        alpha: weight of the distillation loss (DeiT: 0.5).
        Others: as :class:`ClassificationTask` (label smoothing applies to the label loss only).

    Logged names: those of ``ClassificationTask`` and ``train/teacher_agreement`` (the share of
    training examples where the student's prediction is the teacher's).
    """

    def __init__(
        self,
        model: nn.Module,
        num_classes: int,
        teacher: str,
        alpha: float = 0.5,
        optimizer: OptimizerFactory = default_optimizer,
        lr_scheduler: SchedulerFactory | None = None,
        label_smoothing: float = 0.0,
        layer_decay: float | None = None,
    ) -> None:
        from zoo.hub.pretrained import load

        super().__init__(model, num_classes, optimizer, lr_scheduler, label_smoothing, layer_decay)
        if not isinstance(getattr(model, "head", None), DistilledClassifierHead):
            raise ZooError("distillation needs a DistilledClassifierHead (and a front-end with dist_token: true)")
        if not 0 <= alpha <= 1:
            raise ZooError(f"alpha must be between 0 and 1, got {alpha}")
        pretrained = load(teacher)
        if pretrained.kind != "classification" or len(pretrained.labels) != num_classes:
            raise ZooError(
                f"teacher {teacher} is a {pretrained.task} model with {len(pretrained.labels)} labels; "
                f"distillation needs a classifier of the student's {num_classes}"
            )
        self.alpha, self.teacher_name = alpha, teacher
        self.teacher_preprocessing = pretrained.preprocessing
        self._teacher = [pretrained.model.requires_grad_(False)]  # a list: not a submodule, so neither saved nor trained

    @property
    def teacher(self) -> nn.Module:
        return self._teacher[0]

    def on_fit_start(self) -> None:
        """The teacher on the student's device, in eval mode; its input must be read as the student's."""
        self.teacher.to(self.device).eval()
        data = getattr(self.trainer, "datamodule", None)
        ours = getattr(data, "preprocessing", None)
        if ours is not None and ours.to_dict() != self.teacher_preprocessing.to_dict():
            raise ZooError(
                f"teacher {self.teacher_name} reads {self.teacher_preprocessing.to_dict()} but the data is "
                f"{ours.to_dict()}; distil from a teacher trained on inputs read the same way"
            )

    def training_loss(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        """The label loss on the class token's classifier plus the distillation token's on the
        teacher's hard labels; the logits are the student's as exported (the two averaged)."""
        cls, dist = self.model.head.forward_both(self.model.forward_features(x))
        with torch.no_grad():
            taught = self.teacher(x).argmax(dim=-1)  # (B,) the teacher's hard labels
        label_loss = F.cross_entropy(cls, y, label_smoothing=self.label_smoothing)
        loss = (1 - self.alpha) * label_loss + self.alpha * F.cross_entropy(dist, taught)
        logits = (cls + dist) / 2
        agreement = (logits.argmax(dim=-1) == taught).float().mean()
        self.log("train/teacher_agreement", agreement, batch_size=len(y))
        return loss, logits
