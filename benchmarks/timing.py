"""Timing shared by the benchmarks (against timm and Hugging Face): paired, alternating steps on one device.

Steps (or calls) alternate zoo, hf, zoo, hf, ... so that load on the machine hits both alike;
each throughput is the median over the timed steps, and the ratio is the median over step
pairs of hf's time / zoo's (a paired estimate, robust to drift).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from torch import Tensor

from zoo.precision import cpu_description, cpu_has_native_bf16


def train_step(loss_fn: Callable[[], Tensor], optimizer: torch.optim.Optimizer, bf16: bool, device_type: str) -> None:
    with torch.autocast(device_type, dtype=torch.bfloat16, enabled=bf16):
        loss = loss_fn()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def paired_seconds(calls: dict[str, Callable], steps: int, warmup: int, device: torch.device) -> dict[str, list[float]]:
    """Seconds per call of each callable over ``steps`` rounds after ``warmup``, alternating callables."""
    seconds: dict[str, list[float]] = {name: [] for name in calls}
    for step in range(warmup + steps):
        for name, call in calls.items():
            _sync(device)
            start = time.perf_counter()
            call()
            _sync(device)
            if step >= warmup:
                seconds[name].append(time.perf_counter() - start)
    return seconds


def summarize(seconds: dict[str, list[float]], units: int) -> dict[str, float | None]:
    """``units`` per second (median) for each side and ``ratio``, the median paired ratio of the
    anchor's time (the side that is not ``zoo``: hf, timm) to zoo's; None without a zoo side."""
    result: dict[str, float | None] = {name: units / statistics.median(times) for name, times in seconds.items()}
    result.setdefault("zoo", None)
    anchor = next(name for name in seconds if name != "zoo")
    pairs = zip(seconds.get("zoo", []), seconds[anchor])
    result["ratio"] = statistics.median(a / z for z, a in pairs) if "zoo" in seconds else None
    return result


def add_timing_args(parser: argparse.ArgumentParser, steps: int = 10, warmup: int = 2) -> None:
    """--steps, --warmup, --precision, --device, --threads."""
    parser.add_argument("--steps", type=int, default=steps, help="timed steps (or generate calls) per model")
    parser.add_argument("--warmup", type=int, default=warmup)
    parser.add_argument(
        "--precision",
        choices=["auto", "fp32", "bf16", "both"],
        default="auto",
        help="auto: fp32, and bf16 autocast where the device computes bf16 natively (emulated bf16 is skipped)",
    )
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="CPU threads (intra-op)")


def apply_timing_args(args: argparse.Namespace, versions: str) -> tuple[torch.device, list[bool]]:
    """Set the thread count, print the versions, the device and its bf16 support; returns
    (device, [bf16?, ...]). Figures compare only within one run: the CPU under a benchmark
    changes between days (AVX-512 BF16 on some, AVX2 on others)."""
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda":
        where, native = torch.cuda.get_device_name(device), torch.cuda.is_bf16_supported()
    else:
        where, native = f"CPU {cpu_description()}, {torch.get_num_threads()} threads", cpu_has_native_bf16()
    print(f"torch {torch.__version__}, {versions}, {where}\n")
    if args.precision == "auto" and not native:
        print("bf16 skipped: this device emulates it (pass --precision bf16 to time it anyway)\n")
    auto = [False, True] if native else [False]
    return device, {"auto": auto, "fp32": [False], "bf16": [True], "both": [False, True]}[args.precision]
