"""Retention against softmax attention by sequence length: training cost and decoding cost.

1. Training: forward + backward of one token mixer (D=192, 3 heads, batch 1, causal, as the
   Bible GPT and RetNet recipes) by sequence length: attention through SDPA (its flash kernel
   on CPU: no (N, N) matrix), attention with its weights materialised (an explicit softmax),
   retention in parallel form (an (N, N) decay-masked matrix) and in chunkwise form (chunks of
   256: linear). Milliseconds (median of ``--steps``) and the peak memory the call adds: on CPU
   each measurement runs in a fresh process and reads its peak resident set (``ru_maxrss``)
   against the resident set before the call; on CUDA ``torch.cuda.max_memory_allocated``.
2. Decoding: per-token time of the recipe-sized models (random weights: cost does not depend
   on them) at a growing position, after a prompt of that length: the GPT reading its
   key/value cache against RetNet's recurrent step, with the bytes each keeps for the
   sequence (the cache's written part grows by 2 x depth x D values a token; retention's state
   is depth x H x Dh x Dh, whatever the length).

    python benchmarks/retention_vs_attention.py                            # 128 .. 16384 tokens
    python benchmarks/retention_vs_attention.py --max-len 2048 --plot /tmp/retention.png

Prints two Markdown tables and writes the plot (``docs/retention_vs_attention.png``).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
from timing import add_timing_args, apply_timing_args

from zoo.backbone import Transformer
from zoo.backbone.attention import MultiHeadAttention
from zoo.backbone.retention import MultiScaleRetention
from zoo.frontends.text import TokenEmbed
from zoo.heads.lm import LMHead
from zoo.models.language import CausalLM

D, HEADS, DEPTH, VOCAB, CHUNK = 192, 3, 4, 8000, 256
MIXERS = ("attention (SDPA)", "attention (materialised)", "retention (parallel)", "retention (chunkwise)")
QUADRATIC = {"attention (materialised)": 6, "retention (parallel)": 5}  # (N, N) fp32 matrices alive at the peak, about


def mixer(name: str, length: int) -> torch.nn.Module:
    if name.startswith("attention"):
        return MultiHeadAttention(D, HEADS)
    return MultiScaleRetention(D, HEADS, chunk_size=length if name.endswith("(parallel)") else CHUNK)


def fwd_bwd(module: torch.nn.Module, x: torch.Tensor, name: str, bf16: bool) -> None:
    with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=bf16):
        if name == "attention (materialised)":
            out = module(x, causal=True, need_weights=True)[0]
        else:
            out = module(x, causal=True)
    out.float().square().mean().backward()


def resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def measure(name: str, length: int, steps: int, bf16: bool, device: torch.device) -> dict:
    """{"ms": median ms per forward + backward, "peak_mb": memory the first call added at its peak}."""
    torch.manual_seed(0)
    warm = mixer(name, 64).to(device)
    fwd_bwd(warm, torch.randn(1, 64, D, device=device, requires_grad=True), name, bf16)  # libraries loaded
    module, x = mixer(name, length).to(device), torch.randn(1, length, D, device=device, requires_grad=True)
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
    else:
        before = resident_bytes()
    seconds = []
    for _ in range(steps + 1):  # the first call is the memory measurement and the warm-up
        start = time.perf_counter()
        fwd_bwd(module, x, name, bf16)
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - start)
        if len(seconds) == 1:
            peak = (
                torch.cuda.max_memory_allocated()
                if device.type == "cuda"
                else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            )
        module.zero_grad(set_to_none=True)
        x.grad = None
    return {"ms": 1000 * statistics.median(seconds[1:]), "peak_mb": max(0, peak - before) / 2**20}


def measure_apart(name: str, length: int, steps: int, bf16: bool, device: torch.device, threads: int) -> dict:
    """``measure`` in a fresh process on CPU (its peak resident set is this call's alone)."""
    if device.type == "cuda":
        return measure(name, length, steps, bf16, device)
    command = [sys.executable, __file__, "--one", name, str(length), "--steps", str(steps), "--threads", str(threads)]
    command += ["--precision", "bf16" if bf16 else "fp32", "--device", "cpu"]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=1800)
    return json.loads(done.stdout.strip().splitlines()[-1])


def language_model(mixer_name: str, max_len: int) -> CausalLM:
    torch.manual_seed(0)
    positions = "none" if mixer_name == "retention" else "learned"
    frontend = TokenEmbed(VOCAB, D, max_len=max_len, pad_id=None, pos_embed=positions, scale=False)
    mlp_ratio = 3.5 if mixer_name == "retention" else 4.0  # as the recipes: equal parameters
    backbone = Transformer(D, DEPTH, HEADS, mlp_ratio, mixer=mixer_name)
    return CausalLM(frontend, backbone, LMHead(D, VOCAB, bias=False, tie_weights=True)).eval()


def state_bytes(state: list, length: int) -> int:
    """What a decoding state holds for ``length`` tokens: a KV cache's written part, a retention state whole."""
    total = 0
    for block in state:
        if hasattr(block, "k"):
            total += 2 * block.k[:, :, :length].numel() * block.k.element_size()
        else:
            total += block.state.numel() * block.state.element_size()
    return total


@torch.inference_mode()
def decode_ms(model: CausalLM, position: int, tokens: int, bf16: bool, device: torch.device) -> tuple[float, int]:
    """(ms per new token at ``position`` after a prompt of that length, the state's bytes there)."""
    prompt = torch.randint(0, VOCAB, (1, position), generator=torch.Generator().manual_seed(0)).to(device)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        state = model.init_state(1, position + tokens + 1)
        logits = model.decode_step(prompt, state)
        seconds = []
        for _ in range(tokens):
            start = time.perf_counter()
            logits = model.decode_step(logits[:, -1:].argmax(-1), state)
            if device.type == "cuda":
                torch.cuda.synchronize()
            seconds.append(time.perf_counter() - start)
    return 1000 * statistics.median(seconds), state_bytes(state, position + tokens)


def lengths_up_to(max_len: int) -> list[int]:
    return [n for n in (128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768) if n <= max_len]


def plot(training: dict, decoding: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    for name, rows in training.items():
        ns = [n for n, r in rows.items() if r]
        axes[0].plot(ns, [rows[n]["ms"] for n in ns], marker="o", label=name)
        axes[1].plot(ns, [max(rows[n]["peak_mb"], 0.1) for n in ns], marker="o", label=name)
    for name, rows in decoding.items():
        axes[2].plot(list(rows), [r[0] for r in rows.values()], marker="o", label=name)
    titles = (
        "training: forward + backward of one mixer",
        "training: peak memory the call adds",
        "decoding: time per new token (4 blocks)",
    )
    ylabels = ("milliseconds", "MiB", "milliseconds per token")
    for ax, title, ylabel in zip(axes, titles, ylabels):
        ax.set(xscale="log", yscale="log", title=title, xlabel="sequence length (tokens)", ylabel=ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    axes[2].set_xlabel("position of the new token")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)
    tmp.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_timing_args(parser, steps=3, warmup=0)
    parser.add_argument("--max-len", type=int, default=16384)
    parser.add_argument("--memory-gb", type=float, default=16.0, help="skip an (N, N) form whose estimate exceeds this")
    parser.add_argument("--decode-tokens", type=int, default=16)
    parser.add_argument("--plot", type=Path, default=Path(__file__).parents[1] / "docs" / "retention_vs_attention.png")
    parser.add_argument("--one", nargs=2, metavar=("MIXER", "LENGTH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        torch.set_num_threads(args.threads)
        print(
            json.dumps(
                measure(args.one[0], int(args.one[1]), args.steps, args.precision == "bf16", torch.device(args.device))
            )
        )
        return
    device, bf16s = apply_timing_args(args, "retention against attention")
    bf16 = bf16s[-1]  # bf16 where the device computes it natively, as training would
    precision = "bf16-mixed" if bf16 else "fp32"

    print(f"## Training, one mixer (D={D}, {HEADS} heads, batch 1), {precision}\n")
    print("| tokens | " + " | ".join(f"{m} ms | MiB" for m in MIXERS) + " |")
    print("|---:|" + "---:|---:|" * len(MIXERS))
    training: dict[str, dict[int, dict | None]] = {m: {} for m in MIXERS}
    for n in lengths_up_to(args.max_len):
        cells = []
        for name in MIXERS:
            estimate_gb = QUADRATIC.get(name, 0) * HEADS * n * n * 4 / 2**30
            slow = any(r and r["ms"] > 120_000 for r in training[name].values())
            if estimate_gb > args.memory_gb or slow:
                training[name][n] = None
                cells.append("skipped | ")
                continue
            training[name][n] = measure_apart(name, n, args.steps, bf16, device, args.threads)
            cells.append(f"{training[name][n]['ms']:.1f} | {training[name][n]['peak_mb']:.0f}")
        print(f"| {n} | " + " | ".join(cells) + " |", flush=True)

    print(f"\n## Decoding, recipe-sized models (D={D}, depth {DEPTH}, {HEADS} heads, V={VOCAB}), {precision}\n")
    print("| position | GPT ms/token | GPT cache KiB | RetNet ms/token | RetNet state KiB | ratio GPT/RetNet |")
    print("|---:|---:|---:|---:|---:|---:|")
    positions = lengths_up_to(args.max_len)
    models = {
        name: language_model(name, positions[-1] + args.decode_tokens + 1).to(device)
        for name in ("attention", "retention")
    }
    decoding: dict[str, dict[int, tuple[float, int]]] = {"GPT (KV cache)": {}, "RetNet (recurrent)": {}}
    for n in positions:
        gpt = decode_ms(models["attention"], n, args.decode_tokens, bf16, device)
        ret = decode_ms(models["retention"], n, args.decode_tokens, bf16, device)
        decoding["GPT (KV cache)"][n], decoding["RetNet (recurrent)"][n] = gpt, ret
        print(
            f"| {n} | {gpt[0]:.2f} | {gpt[1] / 1024:.0f} | {ret[0]:.2f} | {ret[1] / 1024:.0f} | {gpt[0] / ret[0]:.2f} |",
            flush=True,
        )
    plot(training, decoding, args.plot)
    print(f"\nplot: {args.plot}")


if __name__ == "__main__":
    main()
