"""zoo run --resume: a run killed mid-epoch continues from its last checkpoint to the same end,
bit for bit: weights, optimiser, schedule and every random generator are restored."""

import json

import torch

from tests.conftest import MICRO_VIT, QUICK, run_zoo

EPOCHS, BATCHES = 3, 4
SHORT = [
    f"--trainer.max_epochs={EPOCHS}",
    f"--trainer.limit_train_batches={BATCHES}",
    "--trainer.limit_val_batches=2",
    "--trainer.limit_test_batches=2",
    "--output=out",
]
KILL = '--trainer.callbacks+={"class_path": "tests.helpers.KillAt", "init_args": {"epoch": 2, "batch": 2}}'



def final(path: str) -> str:
    """A callback override that saves the weights at the end of training to ``path``."""
    return '--trainer.callbacks+={"class_path": "tests.helpers.SaveFinalWeights", "init_args": {"path": "%s"}}' % path


def test_killed_run_resumes_to_the_uninterrupted_runs_metrics(in_tmp):
    whole = run_zoo(["run", str(QUICK), *MICRO_VIT, *SHORT[:-1], "--output=whole", final("whole.pt")], in_tmp, with_tests=True)
    assert whole.returncode == 0, whole.stderr[-2000:]
    killed = run_zoo(["run", str(QUICK), *MICRO_VIT, *SHORT, KILL], in_tmp, with_tests=True)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert (in_tmp / "out" / "lightning" / "last.ckpt").is_file()
    assert not (in_tmp / "out" / "metrics.json").exists()
    torch.load(in_tmp / "out" / "lightning" / "last.ckpt", weights_only=True)  # as zoo test --ckpt_path loads it

    resumed = run_zoo(["run", str(QUICK), *MICRO_VIT, *SHORT, "--resume", final("resumed.pt")], in_tmp, with_tests=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    metrics = json.loads((in_tmp / "out" / "metrics.json").read_text())
    assert metrics["steps"] == EPOCHS * BATCHES and metrics["epochs"] == EPOCHS and metrics["resumed"] is True
    assert (in_tmp / "out" / "checkpoint" / "model.safetensors").is_file()
    # The last weights, not the tested best ones (which may predate the kill): the same data
    # order and random draws after the resume give the same weights, bit for bit.
    last = [torch.load(in_tmp / name, weights_only=False) for name in ("whole.pt", "resumed.pt")]
    assert last[0]["global_step"] == last[1]["global_step"] == EPOCHS * BATCHES
    for name, tensor in last[0]["state_dict"].items():
        assert torch.equal(tensor, last[1]["state_dict"][name]), name


def test_resume_with_nothing_to_resume_is_one_line(in_tmp):
    result = run_zoo(["run", str(QUICK), "--output=fresh", "--resume"], in_tmp)
    assert result.returncode == 2
    assert result.stderr.startswith("zoo: error: nothing to resume: ") and result.stderr.count("\n") == 1
    assert result.stderr.strip().endswith(
        "fresh/lightning/last.ckpt does not exist; run without --resume to start afresh"
    )
