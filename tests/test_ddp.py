"""The quick recipe on two processes (DDP over gloo): metrics are reduced across ranks."""

import json

import pytest

from tests.conftest import MICRO_VIT, QUICK, QUICK_BATCH, run_zoo
from zoo.pipeline.recipe import build_cli

TEST_BATCHES = 4


@pytest.mark.slow
def test_two_process_ddp_reduces_test_metrics_over_both_ranks(in_tmp):
    args = [
        "run",
        str(QUICK),
        "--output",
        "out",
        *MICRO_VIT,
        "--trainer.accelerator=cpu",
        "--trainer.devices=2",
        "--trainer.strategy=ddp",
        "--trainer.max_epochs=1",
        "--trainer.limit_train_batches=3",
        "--trainer.limit_val_batches=2",
        f"--trainer.limit_test_batches={TEST_BATCHES}",
    ]
    result = run_zoo(args, in_tmp, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((in_tmp / "out" / "metrics.json").read_text())
    assert metrics["devices"] == 2 and metrics["steps"] == 3  # and no unused-parameter error in DDP
    # Each rank tested 4 batches; the confusion matrix counts both ranks' images.
    assert sum(map(sum, metrics["confusion_matrix"])) == 2 * TEST_BATCHES * QUICK_BATCH

    # DistributedSampler deals images 0, 2, 4, ... to rank 0 and 1, 3, 5, ... to rank 1, so the
    # two ranks together saw exactly the first 8 batches; one process on them must agree.
    single = build_cli(
        [
            "--config",
            str(QUICK),
            *MICRO_VIT,
            "--trainer.accelerator=cpu",
            "--trainer.devices=1",
            f"--trainer.limit_test_batches={2 * TEST_BATCHES}",
        ],
        run=False,
    )
    tested = single.trainer.test(
        single.model,
        datamodule=single.datamodule,
        ckpt_path=metrics["best_checkpoint"],
        weights_only=False,
        verbose=False,
    )[0]
    for name in ("test/acc", "test/f1_macro", "test/acc_top5"):
        assert metrics[name] == pytest.approx(tested[name], abs=1e-6), name


@pytest.mark.slow
def test_two_process_ddp_computes_test_bleu_over_both_ranks_sentences(in_tmp):
    """Corpus BLEU is not a mean of per-rank scores: the ranks' translations are gathered."""
    from tests.test_translation_commands import MICRO_LSTM, RECIPES

    recipe = str(RECIPES / "lstm_attention_bible_en_es_quick.yaml")
    ddp = ["--trainer.accelerator=cpu", "--trainer.devices=2", "--trainer.strategy=ddp"]
    result = run_zoo(["run", recipe, "--output", "out", *MICRO_LSTM, *ddp], in_tmp, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((in_tmp / "out" / "metrics.json").read_text())
    assert metrics["devices"] == 2
    printed = result.stdout + result.stderr
    assert "test/bleu" in printed and "on 45 sentences" in printed  # all of Jonah, once

    single = build_cli(["--config", recipe, *MICRO_LSTM, "--trainer.accelerator=cpu", "--trainer.devices=1"], run=False)
    tested = single.trainer.test(single.model, datamodule=single.datamodule, ckpt_path=metrics["best_checkpoint"],
                                 weights_only=False, verbose=False)[0]  # fmt: skip
    assert metrics["test/bleu"] == pytest.approx(tested["test/bleu"], abs=1e-4)


@pytest.mark.slow
def test_two_process_ddp_trains_vatt_on_batches_without_audio_and_ranks_both_ranks_clips(in_tmp):
    """Every training clip lacks its soundtrack, so the audio front-end gets no gradient from the
    data: DDP must still run without find_unused_parameters. Test retrieval ranks the clips of
    both ranks together: the same numbers as one process over the same clips."""
    recipe = str(QUICK.parents[1] / "multimodal" / "vatt_tiny_moving_fashion_quick.yaml")
    micro = ["--data.init_args.batch_size=16", "--trainer.max_epochs=1", "--trainer.limit_val_batches=1"]
    ddp = ["--trainer.accelerator=cpu", "--trainer.devices=2", "--trainer.strategy=ddp"]
    args = ["run", recipe, "--output", "out", *micro, *ddp, "--data.init_args.audio_missing=1.0"]
    result = run_zoo([*args, "--trainer.limit_train_batches=2", f"--trainer.limit_test_batches={TEST_BATCHES}"], in_tmp)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((in_tmp / "out" / "metrics.json").read_text())
    assert metrics["devices"] == 2 and metrics["steps"] == 2

    single = build_cli(
        ["--config", recipe, *micro, "--trainer.accelerator=cpu", "--trainer.devices=1",
         f"--trainer.limit_test_batches={2 * TEST_BATCHES}"],
        run=False,
    )  # fmt: skip
    tested = single.trainer.test(single.model, datamodule=single.datamodule, ckpt_path=metrics["best_checkpoint"],
                                 weights_only=False, verbose=False)[0]  # fmt: skip
    assert single.model.chance["t2v"]["r1"] == pytest.approx(100 / (2 * TEST_BATCHES * 16))  # 128 clips ranked
    for name in ("test/t2v_r1", "test/t2v_median_rank", "test/v2t_r10", "test/a2v_r5", "test/zero_shot_acc"):
        assert metrics[name] == pytest.approx(tested[name], abs=1e-4), name
