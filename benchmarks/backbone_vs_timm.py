"""Training throughput of zoo's ViT against timm's ViT at identical sizes, in one process.

Both models are built with the same width, depth, heads, patch size and image size, then
timed on full training steps (forward, cross-entropy, backward, AdamW step) in fp32 and in
bf16 autocast. Steps alternate zoo, timm, zoo, timm, ... so that load on the machine hits
both alike; each throughput is the median over the timed steps, and the ratio is the
median over step pairs of timm's step time / zoo's (a paired estimate, robust to drift).

    python benchmarks/backbone_vs_timm.py                   # both cases, CPU or the GPU
    python benchmarks/backbone_vs_timm.py --cases vit_tiny_4_32 --steps 20
    python benchmarks/backbone_vs_timm.py --precision both   # bf16 even where it is emulated

Prints a Markdown table with images/s and ``ratio zoo/timm`` (> 1 means zoo is faster).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import partial

import timm
import torch
import torch.nn.functional as F
from timing import add_timing_args, apply_timing_args, paired_seconds, summarize, train_step
from torch import nn

from zoo.models import vision_transformer


@dataclass(frozen=True)
class Case:
    size: str  # zoo preset name
    timm_name: str
    img_size: int
    patch_size: int
    batch_size: int


CASES = {
    "vit_tiny_4_32": Case("tiny", "vit_tiny_patch16_224", img_size=32, patch_size=4, batch_size=128),
    "vit_small_16_224": Case("small", "vit_small_patch16_224", img_size=224, patch_size=16, batch_size=32),
}


def build_pair(case: Case, num_classes: int = 10) -> tuple[nn.Module, nn.Module]:
    zoo_model = vision_transformer(case.size, case.img_size, case.patch_size, 3, num_classes)
    timm_model = timm.create_model(
        case.timm_name, pretrained=False, img_size=case.img_size, patch_size=case.patch_size, num_classes=num_classes
    )
    return zoo_model, timm_model


def measure(case: Case, bf16: bool, steps: int, warmup: int, device: torch.device) -> dict[str, float]:
    """Median images/s of each model over ``steps`` interleaved training steps, and the
    median paired ratio (``ratio``: > 1 means zoo is faster)."""
    torch.manual_seed(0)
    models = dict(zip(("zoo", "timm"), build_pair(case)))
    optimizers = {name: torch.optim.AdamW(m.to(device).train().parameters(), lr=1e-4) for name, m in models.items()}
    x = torch.randn(case.batch_size, 3, case.img_size, case.img_size, device=device)
    y = torch.randint(0, 10, (case.batch_size,), device=device)
    losses = {name: partial(lambda m: F.cross_entropy(m(x), y), model) for name, model in models.items()}
    calls = {name: partial(train_step, losses[name], optimizers[name], bf16, device.type) for name in models}
    return summarize(paired_seconds(calls, steps, warmup, device), case.batch_size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    add_timing_args(parser, steps=20, warmup=3)
    args = parser.parse_args()
    device, precisions = apply_timing_args(args, f"timm {timm.__version__}")
    print("| case | batch | precision | zoo img/s | timm img/s | ratio zoo/timm |")
    print("|---|---:|---|---:|---:|---:|")
    for name in args.cases:
        case = CASES[name]
        for bf16 in precisions:
            ips = measure(case, bf16, args.steps, args.warmup, device)
            precision = "bf16 autocast" if bf16 else "fp32"
            print(
                f"| {name} | {case.batch_size} | {precision} | {ips['zoo']:.1f} | {ips['timm']:.1f} "
                f"| {ips['ratio']:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
