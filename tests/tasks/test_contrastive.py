"""ContrastiveTask: the loss falls on a fixed batch, a row without audio drops out, and validation
logs retrieval and zero-shot metrics over the whole split, with chance beside them."""

import lightning as L
import torch

from tests.test_contracts import MULTIMODAL_CASES, multimodal_inputs
from zoo.datasets.moving_fashion import MovingFashionDataModule
from zoo.frontends.audio import SpectrogramPatchEmbed
from zoo.frontends.text import TokenEmbed
from zoo.hub.build import build
from zoo.tasks.contrastive import ContrastiveTask


def micro_task(vocab_size: int = 30, **kwargs) -> ContrastiveTask:
    torch.manual_seed(0)
    model = build(MULTIMODAL_CASES["vatt-shared"])
    if vocab_size != 30:
        model.frontends["text"] = TokenEmbed(vocab_size, 16, max_len=32, cls_token=True)
    return ContrastiveTask(model, **kwargs)


def caption_batch(B: int = 8) -> dict:
    x = multimodal_inputs(B)
    return {"video": x["video"], "audio": x["audio"], "text": x["text"].view(B, 1, -1).expand(B, 2, -1).clone()}


def test_the_loss_falls_on_a_fixed_batch():
    task = micro_task()
    batch = caption_batch()
    optimizer = torch.optim.AdamW(task.parameters(), lr=3e-3)
    first = None
    for _ in range(40):
        loss = task.losses(batch, task.embed_batch(batch))["loss"]
        first = first if first is not None else loss.item()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.5 * first


def test_a_row_without_audio_changes_nothing_of_the_audio_loss_when_its_audio_changes():
    task = micro_task().eval()
    batch = caption_batch()
    batch["audio_present"] = torch.tensor([True] * 7 + [False])
    before = task.losses(batch, task.embed_batch(batch))["loss_va"]
    batch["audio"][7] = torch.randn_like(batch["audio"][7])
    torch.testing.assert_close(task.losses(batch, task.embed_batch(batch))["loss_va"], before)


def test_validation_logs_retrieval_and_zero_shot_over_the_split(tmp_path):
    data = MovingFashionDataModule(batch_size=16)
    data.setup()
    task = micro_task(vocab_size=data.preprocessing.text.vocab_size)
    task.model.frontends["video"] = build(
        {
            "class_path": "zoo.frontends.video.TubeletEmbed",
            "init_args": {"num_frames": 8, "img_size": 32, "tubelet_frames": 2, "patch_size": 8, "embed_dim": 16},
        }
    )
    task.model.frontends["audio"] = SpectrogramPatchEmbed(
        sample_rate=8000, max_seconds=3.0, n_mels=16, patch_size=8, embed_dim=16
    )
    trainer = L.Trainer(
        max_epochs=1,
        limit_train_batches=2,
        limit_val_batches=3,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        default_root_dir=tmp_path,
    )
    trainer.fit(task, datamodule=data)
    logged = trainer.callback_metrics
    for name in ("t2v", "v2t", "a2v"):
        assert {f"val/{name}_{k}" for k in ("r1", "r5", "r10", "median_rank")} <= set(logged)
    assert 0.0 <= logged["val/zero_shot_acc"] <= 100.0
    assert abs(task.chance["t2v"]["r1"] - 100 / 48) < 1e-9 and task.chance["v2t"]["median_rank"] > 1  # 3 batches of 16
    assert "train/false_negatives" in logged
