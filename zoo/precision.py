"""Training precision that follows the hardware.

bf16 autocast is fast only where the hardware has it: NVIDIA GPUs from Ampere on, and CPUs
with AVX-512 BF16 or AMX (there a bf16 matmul runs ~4x fp32). Elsewhere PyTorch emulates it:
on an AVX2-only CPU the quick ViT's training step ran at 11 img/s in bf16-mixed against
156 img/s in fp32 (2026-12-01). So ``auto`` resolves to:

| where                              | ``auto``     |
| ---------------------------------- | ------------ |
| GPU with bf16 (compute >= 8.0)     | bf16-mixed   |
| older GPU                          | 16-mixed     |
| CPU with native BF16 (AVX-512/AMX) | bf16-mixed   |
| any other CPU                      | 32-true      |

An explicit precision always wins; bf16 asked for on a CPU that emulates it gets a warning.
"""

from __future__ import annotations

import platform
import warnings

import torch

from zoo.errors import ZooError

AUTO = "auto"
PRECISIONS = ("32-true", "bf16-mixed", "16-mixed", "bf16-true", "16-true", "64-true")
ALIASES = {"fp32": "32-true", "32": "32-true", "bf16": "bf16-mixed", "fp16": "16-mixed", "16": "16-mixed"}


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX-512 BF16 or AMX), as oneDNN reports it."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def uses_gpu(accelerator: str | None) -> bool:
    """Whether a Trainer with ``accelerator`` would run on a CUDA GPU here."""
    return (accelerator or AUTO) in (AUTO, "gpu", "cuda") and torch.cuda.is_available()


def auto_precision(accelerator: str | None = AUTO) -> str:
    """The fastest precision that trains correctly on the device ``accelerator`` picks."""
    if uses_gpu(accelerator):
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    return "bf16-mixed" if cpu_has_native_bf16() else "32-true"


def resolve_precision(precision: str | int | None, accelerator: str | None = AUTO) -> str:
    """``auto`` or None -> :func:`auto_precision`; an alias (fp32, bf16, fp16) -> Lightning's name;
    anything else is checked and kept. Warns when bf16 would be emulated on this CPU."""
    if precision is None or str(precision) == AUTO:
        return auto_precision(accelerator)
    resolved = ALIASES.get(str(precision), str(precision))
    if resolved not in PRECISIONS:
        raise ZooError(f"precision {precision!r} is not one of auto, {', '.join(PRECISIONS)} (or fp32, bf16, fp16)")
    if resolved.startswith("bf16") and not uses_gpu(accelerator) and not cpu_has_native_bf16():
        warnings.warn(
            f"precision {resolved} on this CPU ({cpu_description()}) is emulated and far slower than 32-true; "
            "leave precision out (auto) to train in 32-true here",
            stacklevel=2,
        )
    return resolved


def cpu_description() -> str:
    """One line naming the processor and its bf16 support, for metrics, cards and benchmarks."""
    name = _cpu_model() or platform.processor() or platform.machine()
    return f"{name}, {'native bf16' if cpu_has_native_bf16() else 'bf16 emulated (no AVX-512 BF16 or AMX)'}"


def device_description(accelerator: str | None = AUTO) -> str:
    """The device a Trainer with ``accelerator`` would use here, e.g. "NVIDIA H200" or the CPU's line."""
    return torch.cuda.get_device_name(0) if uses_gpu(accelerator) else f"CPU {cpu_description()}"


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None
