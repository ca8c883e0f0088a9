"""DeiT distillation: the distillation token, the two-classifier head, the loss against a frozen
teacher checkpoint kept out of the student, and a micro distillation run on real images."""

import lightning as L
import pytest
import torch
import torch.nn.functional as F

from zoo.backbone.transformer import Transformer
from zoo.datasets.fashion_mnist import FashionMNISTDataModule
from zoo.errors import ZooError
from zoo.frontends.image import PatchEmbed
from zoo.heads.classifier import ClassifierHead
from zoo.heads.distilled import DistilledClassifierHead
from zoo.models.unimodal import UnimodalModel
from zoo.tasks.distillation import DistillationTask


def student(num_classes=10, dim=32):
    frontend = PatchEmbed(img_size=28, patch_size=7, in_chans=1, embed_dim=dim, dist_token=True)
    return UnimodalModel(frontend, Transformer(dim, 1, 2), DistilledClassifierHead(dim, num_classes))


def test_the_distillation_token_follows_the_class_token():
    torch.manual_seed(0)
    frontend = PatchEmbed(img_size=28, patch_size=7, in_chans=1, embed_dim=32, dist_token=True)
    tokens = frontend(torch.randn(2, 1, 28, 28))
    assert tokens.shape == (2, 2 + 16, 32) and frontend.num_prefix_tokens == 2
    assert torch.equal(tokens[0, 1], frontend.dist_token[0, 0]) and not torch.allclose(tokens[0, 0], tokens[0, 1])
    assert "dist_token" in frontend.no_weight_decay()
    with pytest.raises(ZooError, match="follows the class token; set cls_token: true"):
        PatchEmbed(img_size=28, patch_size=7, in_chans=1, embed_dim=32, cls_token=False, dist_token=True)


def test_the_head_averages_its_two_classifiers_and_resets_both():
    torch.manual_seed(0)
    model = student()
    x = torch.randn(3, 1, 28, 28)
    cls, dist = model.head.forward_both(model.forward_features(x))
    assert torch.allclose(model(x), (cls + dist) / 2, atol=1e-6)  # the last block computes 2 tokens only
    model.reset_classifier(4)
    assert model(x).shape == (3, 4) and model.head.fc_dist.out_features == 4
    with pytest.raises(ZooError, match="adds 1 prefix tokens; set cls_token: true and dist_token: true"):
        UnimodalModel(PatchEmbed(28, 7, 1, 32), Transformer(32, 1, 2), DistilledClassifierHead(32, 10))


def test_the_loss_mixes_labels_and_the_teachers_predictions(micro_checkpoint):
    torch.manual_seed(0)
    task = DistillationTask(student(), 10, teacher=str(micro_checkpoint), alpha=0.25)
    batch = {"image": torch.randn(4, 1, 28, 28), "label": torch.tensor([0, 1, 2, 3])}
    task.log = lambda *args, **kwargs: None  # outside a Trainer
    loss = task._step(batch, "train")
    cls, dist = task.model.head.forward_both(task.model.forward_features(batch["image"]))
    taught = task.teacher(batch["image"]).argmax(-1)
    expected = 0.75 * F.cross_entropy(cls, batch["label"]) + 0.25 * F.cross_entropy(dist, taught)
    assert torch.allclose(loss, expected, atol=1e-6)
    assert not any(name.startswith(("teacher", "_teacher")) for name in task.state_dict())  # not saved
    assert not any(p.requires_grad for p in task.teacher.parameters())


def test_a_teacher_of_other_labels_or_a_plain_head_is_one_line(micro_checkpoint):
    with pytest.raises(ZooError, match="distillation needs a classifier of the student's 4"):
        DistillationTask(student(num_classes=4), 4, teacher=str(micro_checkpoint))
    plain = UnimodalModel(PatchEmbed(28, 7, 1, 32), Transformer(32, 1, 2), ClassifierHead(32, 10))
    with pytest.raises(ZooError, match="needs a DistilledClassifierHead"):
        DistillationTask(plain, 10, teacher=str(micro_checkpoint))


def test_a_micro_distillation_run_trains_the_student_and_leaves_the_teacher(micro_checkpoint):
    torch.manual_seed(0)
    task = DistillationTask(student(), 10, teacher=str(micro_checkpoint))
    before = {k: v.clone() for k, v in task.teacher.state_dict().items()}
    trainer = L.Trainer(max_steps=3, limit_val_batches=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", devices=1)  # fmt: skip
    trainer.fit(task, datamodule=FashionMNISTDataModule(batch_size=16))
    assert all(torch.equal(before[k], v) for k, v in task.teacher.state_dict().items())
    assert 0 <= float(trainer.callback_metrics["train/teacher_agreement"]) <= 1
    assert 0 <= trainer.validate(task, datamodule=FashionMNISTDataModule(batch_size=16), verbose=False)[0]["val/acc"] <= 1
