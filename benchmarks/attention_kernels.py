"""SDPA's flash kernel against its math kernel, forward + backward, by sequence length.

This is the measurement behind ``zoo.backbone.attention.prefers_math_kernel``: on CPU in
bfloat16, PyTorch's flash-attention backward is slow for short sequences, so training steps
with few keys take the math kernel. Steps alternate flash, math, flash, ... (``timing.py``).

    python benchmarks/attention_kernels.py                  # fp32 and bf16, 17..1025 tokens
    python benchmarks/attention_kernels.py --precision bf16 --steps 20

Prints a Markdown table: milliseconds per forward + backward of each kernel, ``ratio
flash/math`` (> 1: math is faster), and the kernel zoo's attention picks for that shape.
"""

from __future__ import annotations

import argparse
from functools import partial

import torch
import torch.nn.functional as F
from timing import add_timing_args, apply_timing_args, paired_seconds, summarize
from torch.nn.attention import SDPBackend, sdpa_kernel

from zoo.backbone.attention import prefers_math_kernel

# (batch, heads, tokens, head dim): ViT-Ti/7 at 28 px, ViT-Ti/4 at 28 and 32 px, text at 128,
# ViT-S/16 at 224 px, longer sequences.
SHAPES = [(128, 3, 17, 64), (128, 4, 50, 32), (128, 3, 65, 64), (32, 3, 128, 64), (32, 6, 197, 64)]
SHAPES += [(32, 3, 256, 64), (8, 3, 577, 64), (4, 3, 1025, 64)]


def fwd_bwd(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, grad: torch.Tensor, backend: SDPBackend) -> None:
    with sdpa_kernel(backend):
        out = F.scaled_dot_product_attention(q, k, v)
    out.backward(grad)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_timing_args(parser)
    args = parser.parse_args()
    device, bf16s = apply_timing_args(args, "attention kernels")
    print("| precision | batch x heads x tokens x head dim | flash ms | math ms | ratio flash/math | zoo picks |")
    print("|---|---|---:|---:|---:|---|")
    for bf16 in bf16s:
        dtype = torch.bfloat16 if bf16 else torch.float32
        for shape in SHAPES:
            q, k, v = (torch.randn(shape, dtype=dtype, device=device, requires_grad=True) for _ in range(3))
            grad = torch.randn(shape, dtype=dtype, device=device)
            calls = {
                "math": partial(fwd_bwd, q, k, v, grad, SDPBackend.MATH),
                "flash": partial(fwd_bwd, q, k, v, grad, SDPBackend.FLASH_ATTENTION),
            }
            seconds = paired_seconds(calls, args.steps, args.warmup, device)
            result = summarize({"zoo": seconds["math"], "flash": seconds["flash"]}, 1)
            picks = "math" if prefers_math_kernel(q, k) else "flash"
            print(
                f"| {'bf16' if bf16 else 'fp32'} | {' x '.join(map(str, shape))} | {1000 / result['flash']:.1f} "
                f"| {1000 / result['zoo']:.1f} | {result['ratio']:.2f} | {picks} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
