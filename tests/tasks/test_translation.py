"""The translation task: teacher forcing on the shifted target, padding-blind smoothed loss,
and validation BLEU from the model's own beam search."""

import lightning as L
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from tests.models.test_encoder_decoder import model as micro_model
from zoo.errors import ZooError
from zoo.tasks.translation import TranslationTask

PAD, BOS, EOS, V = 0, 1, 2, 50


def pairs(n: int, seed: int = 0) -> list[dict]:
    """Copy pairs: the target is the source between BOS and EOS, padded to 8."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        length = int(torch.randint(2, 5, (1,), generator=g))
        ids = torch.randint(3, V, (length,), generator=g)
        source = F.pad(ids, (0, 6 - length), value=PAD)
        target = F.pad(torch.cat([torch.tensor([BOS]), ids, torch.tensor([EOS])]), (0, 6 - length), value=PAD)
        out.append({"source_ids": source, "target_ids": target})
    return out


def test_the_loss_is_the_shifted_targets_smoothed_cross_entropy_and_ignores_padding():
    torch.manual_seed(0)
    task = TranslationTask(micro_model(), label_smoothing=0.1)
    batch = torch.utils.data.default_collate(pairs(4))
    source, target = batch["source_ids"], batch["target_ids"]
    loss, tokens = task.loss(source, target, 0.1)
    logits = task.model(source, target[:, :-1])
    keep = target[:, 1:] != PAD
    expected = F.cross_entropy(logits[keep], target[:, 1:][keep], label_smoothing=0.1)
    torch.testing.assert_close(loss, expected)
    assert tokens == keep.sum()
    longer = F.pad(target, (0, 3), value=PAD)  # more padding changes nothing
    torch.testing.assert_close(task.loss(source, longer, 0.1)[0], loss, atol=1e-5, rtol=1e-5)


class CopyData(L.LightningDataModule):
    def train_dataloader(self):
        return DataLoader(pairs(64), batch_size=16, shuffle=True)

    def val_dataloader(self):
        return DataLoader(pairs(16, seed=1), batch_size=8)

    def decode(self, ids: list[int]) -> str:
        return " ".join(str(i) for i in ids if i > EOS)


def test_validation_logs_the_loss_and_the_bleu_of_its_beam_search(tmp_path):
    torch.manual_seed(0)
    task = TranslationTask(micro_model(), num_beams=2, bleu_batches=1)
    trainer = L.Trainer(max_epochs=2, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path)  # fmt: skip
    trainer.fit(task, datamodule=CopyData())
    metrics = trainer.callback_metrics
    assert {"train/loss", "val/loss", "val/ppl", "val/bleu"} <= metrics.keys()
    assert 0 <= float(metrics["val/bleu"]) <= 100 and len(task._hypotheses) == 8  # one batch of 8, each epoch


def test_the_lstm_twin_trains_and_validates_under_the_same_task(tmp_path):
    from zoo.baselines.seq2seq import RNNEncoderDecoder

    torch.manual_seed(0)
    twin = RNNEncoderDecoder(V, embed_dim=16, hidden_size=16, num_layers=1, attention="additive")
    task = TranslationTask(twin, num_beams=2, bleu_batches=1)
    trainer = L.Trainer(max_epochs=2, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path)  # fmt: skip
    trainer.fit(task, datamodule=CopyData())
    metrics = trainer.callback_metrics
    assert {"train/loss", "val/loss", "val/bleu"} <= metrics.keys() and len(task._hypotheses) == 8
    assert float(metrics["val/loss"]) < float(torch.log(torch.tensor(V)))  # it learnt something of the copy task


def test_bleu_without_a_way_to_decode_is_one_line(tmp_path):
    class NoDecode(CopyData):
        decode = None

    task = TranslationTask(micro_model(), num_beams=2, bleu_batches=1)
    trainer = L.Trainer(max_epochs=1, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, limit_train_batches=1,
                        default_root_dir=tmp_path)  # fmt: skip
    with pytest.raises(ZooError, match="NoDecode has no decode\\(ids\\) -> text for BLEU"):
        trainer.fit(task, datamodule=NoDecode())
