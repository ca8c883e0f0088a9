"""What DropToken does to a VATT training step: the same model and batch with half the video and
audio tokens kept (VATT's setting) against all of them, steps alternating in one process.

    python benchmarks/droptoken.py                      # the quick recipe's model, a batch of 64 clips
    python benchmarks/droptoken.py --steps 20 --precision both

Prints clips/s of a training step (forward, backward, AdamW) with and without DropToken and the
speed-up (the median paired ratio of the full step's time to the dropped one's). What it does to
accuracy needs a training run each way: docs/results.md#moving-fashion.
"""

from __future__ import annotations

import argparse

import torch
from timing import add_timing_args, apply_timing_args, paired_seconds, summarize, train_step

from zoo.datasets.moving_fashion import MovingFashionDataModule
from zoo.pipeline.recipe import build_cli

RECIPE = "recipes/multimodal/vatt_tiny_moving_fashion_quick.yaml"


def task_with(token_keep: str, device: torch.device):
    cli = build_cli(["--config", RECIPE, f"--model.init_args.model.init_args.token_keep={token_keep}"], run=False)
    return cli.model.to(device).train()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_timing_args(parser, steps=10, warmup=2)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    device, precisions = apply_timing_args(args, f"recipe {RECIPE}")
    data = MovingFashionDataModule(batch_size=args.batch_size)
    data.setup()
    batch = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in next(iter(data.train_dataloader())).items()}
    tasks = {"dropped": task_with("{video: 0.5, audio: 0.5}", device), "all tokens": task_with("{}", device)}
    tasks["all tokens"].load_state_dict(tasks["dropped"].state_dict())
    print("| precision | tokens kept (video, audio) | clips/s | speed-up of DropToken |")
    print("| --- | --- | ---: | ---: |")
    for bf16 in precisions:
        optimizers = {name: torch.optim.AdamW(task.parameters(), lr=1e-4) for name, task in tasks.items()}
        calls = {
            name: lambda task=task, name=name: train_step(
                lambda: task.losses(batch, task.embed_batch(batch))["loss"], optimizers[name], bf16, device.type
            )
            for name, task in tasks.items()
        }
        seconds = paired_seconds(calls, args.steps, args.warmup, device)
        result = summarize({"zoo": seconds["dropped"], "all": seconds["all tokens"]}, args.batch_size)
        name = "bf16-mixed" if bf16 else "fp32"
        print(f"| {name} | 50 %: 32 + 36 of 64 + 72 | {result['zoo']:.1f} | {result['ratio']:.2f}x |")
        print(f"| {name} | 100 %: 64 + 72 | {result['all']:.1f} | 1.00x |")


if __name__ == "__main__":
    main()
